"""The ``cgov`` command line (click, with rich progress bars).

Each module of this package adds its commands through a ``register(cli)`` function; installed
plugins add theirs through the ``cgov_register_commands`` hook.

Conventions every command follows (docs/cli.md): data on stdout, messages and progress on
stderr; only ``cgov db init`` and the demos create a database; writes need a named actor
(``--as`` or ``CGOV_ACTOR``), reads without one see public data only; errors exit with the
status of :data:`community_governance.errors.EXIT_CODES`.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import pkgutil
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import click

if TYPE_CHECKING:
    from community_governance.domain.access import Actor

__all__ = ["actor_option", "cli", "console", "data_key", "db_option", "echo_json", "emit",
           "given_key_file", "json_always", "json_option", "leaf", "main", "open_db",
           "parse_actor", "pick_year", "require_database", "sqlite_path", "storage_errors",
           "use_key_file", "writer_option"]

_KEY_FILE = "cgov.key_file"
_ACTOR_NAMED = "cgov.actor_named"

F = TypeVar("F", bound=Callable[..., Any])


def parse_actor(value: str) -> Actor:
    """``system``, ``public``, ``staff:ID`` or ``resident:ID`` → :class:`Actor`."""
    from community_governance.domain.access import Actor, ActorKind

    kind, _, ident = value.partition(":")
    try:
        k = ActorKind(kind)
    except ValueError:
        raise click.BadParameter(
            f"{value!r}: use system, public, staff:<holder id> or resident:<resident id>"
        ) from None
    if k in (ActorKind.STAFF, ActorKind.RESIDENT) and not ident:
        raise click.BadParameter(f"{value!r}: {k.value} needs an id, e.g. {k.value}:S0001")
    return Actor(k, ident or ("cli" if k is ActorKind.SYSTEM else "public"))


def _remember_key_file(ctx: click.Context, _param: click.Parameter,
                       value: Path | None) -> None:
    if value is not None:
        ctx.meta[_KEY_FILE] = value


def db_option(f: F) -> F:
    """The ``--db URL`` option (default: the CGOV_DB environment variable) and the
    ``--key-file PATH`` option (default: CGOV_KEY_FILE) of a sealed database's data key."""
    f = click.option("--key-file", type=click.Path(dir_okay=False, path_type=Path),
                     envvar="CGOV_KEY_FILE", expose_value=False, callback=_remember_key_file,
                     help="file holding the data key of a sealed database (default: "
                          "CGOV_KEY_FILE; or give the key itself in CGOV_KEY)")(f)
    return click.option("--db", "db", envvar="CGOV_DB", required=True,
                        help="database URL: sqlite:///county.db, postgresql://..., memory://")(f)


def _reader(ctx: click.Context, _param: click.Parameter, value: str | None) -> Actor:
    ctx.meta[_ACTOR_NAMED] = bool(value)
    if value:
        return parse_actor(value)
    click.echo("note: no --as and no CGOV_ACTOR: reading as the public, who sees public data "
               "only", err=True)
    from community_governance.domain.access import Actor

    return Actor.public()


def _writer(ctx: click.Context, _param: click.Parameter, value: str | None) -> Actor:
    if not value:
        raise click.UsageError(
            f"cgov {ctx.command_path.partition(' ')[2]} writes, and writes need a named actor: "
            "give --as staff:<holder id> (or resident:<id>, or system for a system job), or "
            "set CGOV_ACTOR; nothing was written", ctx=ctx)
    ctx.meta[_ACTOR_NAMED] = True
    return parse_actor(value)


def actor_option(f: F) -> F:
    """The ``--as ACTOR`` option of a command that reads (default: CGOV_ACTOR, else the
    public, who sees only public data)."""
    return click.option("--as", "actor", envvar="CGOV_ACTOR", default=None, callback=_reader,
                        help="who reads: staff:<id>, resident:<id>, system or public "
                             "(default: CGOV_ACTOR, else public: public data only)")(f)


def writer_option(f: F) -> F:
    """The ``--as ACTOR`` option of a command that writes: required (or CGOV_ACTOR)."""
    return click.option("--as", "actor", envvar="CGOV_ACTOR", default=None, callback=_writer,
                        help="who acts (required, or CGOV_ACTOR): staff:<id>, resident:<id> "
                             "or system")(f)


def json_option(f: F) -> F:
    """The ``--json`` flag (as ``as_json``)."""
    return click.option("--json", "as_json", is_flag=True, help="print JSON")(f)


def json_always(f: F) -> F:
    """The ``--json`` flag of a command whose data is JSON already (accepted, so that every
    command that prints data takes ``--json``)."""
    return click.option("--json", "as_json", is_flag=True, expose_value=False,
                        help="print JSON (this command always does)")(f)


def leaf(group: click.Group, name: str, *params: Callable[[Any], Any],
         access: Literal["write", "read", "public"] = "write") -> Callable[[F], click.Command]:
    """Register the decorated function as the leaf command ``name`` of ``group``, with the
    options every leaf command takes after its own ``params`` (click arguments and options,
    in the order they are shown): ``--db``/``--key-file``, the actor (``--as``: required when
    ``access`` is ``write``, optional when ``read``, none for ``public`` data) and ``--json``.

    The function receives ``db``, ``actor`` (unless ``public``) and ``as_json`` after its own
    parameters; its docstring is the command's help::

        @leaf(tenders, "award", click.argument("lot_id", type=int))
        def award(lot_id: int, db: str, actor: Actor, as_json: bool) -> None:
            ...  # the docstring here is the help of ``cgov tenders award``
    """

    def register(f: F) -> click.Command:
        f = json_option(f)
        if access == "write":
            f = writer_option(f)
        elif access == "read":
            f = actor_option(f)
        f = db_option(f)
        for param in reversed(params):
            f = param(f)
        return group.command(name)(f)

    return register


def emit(as_json: bool, data: Any, text: str | Iterable[str] = (), *, err: bool = False,
         note: str | None = None) -> None:
    """Print a leaf command's result: ``data`` as JSON with ``--json``, else ``text`` (one
    line, or lines) on stdout (on stderr with ``err``); ``note`` goes to stderr either way
    (the message of a command whose only data is its JSON)."""
    if as_json:
        echo_json(data)
    else:
        for line in (text,) if isinstance(text, str) else text:
            click.echo(line, err=err)
    if note is not None:
        click.echo(note, err=True)


def sqlite_path(url: str) -> Path | None:
    """The file of a ``sqlite:`` URL (``None`` for other URLs and in-memory SQLite), as the
    SQLite backend reads the URL (SQLAlchemy's ``make_url``)."""
    if not url.startswith("sqlite:"):
        return None
    import sqlalchemy as sa

    try:
        database = sa.engine.make_url(url).database
    except sa.exc.ArgumentError:
        return None  # not a URL the backend would open either: it says so
    if not database or database == ":memory:":
        return None
    return Path(database).expanduser()


def require_database(url: str) -> None:
    """Refuse a SQLite file that does not exist (:class:`DatabaseMissing`, naming the path
    and ``cgov db init``): only ``cgov db init`` and the demos create a database."""
    from community_governance.errors import DatabaseMissing

    path = sqlite_path(url)
    if path is not None and not path.exists():
        raise DatabaseMissing(url, str(path))


def given_key_file() -> Path | None:
    """The key file of the running command (``--key-file``, ``CGOV_KEY_FILE`` or one the
    command chose with :func:`use_key_file`), if any."""
    ctx = click.get_current_context(silent=True)
    path = ctx.meta.get(_KEY_FILE) if ctx is not None else None  # meta: shared by the chain
    return None if path is None else Path(path)


def data_key(path: Path | None = None) -> tuple[str | None, str]:
    """The data key and where it came from: the key file ``path`` (default: the running
    command's, :func:`given_key_file`), else ``CGOV_KEY``; ``(None, "no key")`` without
    either. A key file other users may read is warned about."""
    from community_governance.services.crypto import read_key_file

    path = path if path is not None else given_key_file()
    if path is not None:
        key = read_key_file(path)
        try:
            loose = path.stat().st_mode & 0o077
        except OSError:
            loose = 0
        if loose:
            click.secho(f"warning: the key file {path} may be read by other users; make it "
                        f"owner-only: chmod 600 {path}", fg="yellow", err=True)
        return key, f"key from {path}"
    raw = os.environ.get("CGOV_KEY")
    if raw:
        return raw.strip(), "key from CGOV_KEY"
    return None, "no key"


def use_key_file(path: Path) -> None:
    """Make ``path`` the key file of every :func:`open_db` of the running command."""
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.meta[_KEY_FILE] = path


@contextlib.contextmanager
def storage_errors(url: str) -> Iterator[None]:
    """Turn the failures of reaching the database at ``url`` into one clear
    :class:`StorageError` (exit 7): no backend for the scheme, a refused connection, a bad
    URL. The password is never shown."""
    from community_governance.errors import CgovError, PluginError, StorageError

    try:
        yield
    except PluginError as exc:
        if exc.hook != "cgov_storage_backend":
            raise
        if isinstance(exc.__cause__, StorageError):
            raise StorageError(str(exc.__cause__)) from None
        raise StorageError(
            f"no storage backend serves {_safe(url)}: use sqlite:///path/to/county.db, "
            "postgresql://user@host/dbname or memory://, or install the plugin that serves "
            "this scheme") from None
    except CgovError:
        raise
    except Exception as exc:  # the driver's own errors: refused connection, bad URL...
        import sqlalchemy as sa

        if not isinstance(exc, (sa.exc.SQLAlchemyError, OSError, ValueError)):
            raise
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise StorageError(
            f"cannot open the database {_safe(url)}: {detail}; check the host, port, user, "
            "password and database name, and that the server is running") from None


def open_db(url: str, *, create: bool = False, shown_url: str | None = None,
            **kwargs: Any) -> Any:
    """Open the governance store for a command.

    A SQLite file that does not exist is refused (:class:`DatabaseMissing`, naming the path
    and ``cgov db init``) unless ``create`` is true (``cgov db init`` and the demos); the
    data key comes from ``--key-file``, ``CGOV_KEY_FILE`` or ``CGOV_KEY``. A URL no backend
    serves, or a server that cannot be reached, is a :class:`StorageError` naming the URL.

    ``CGOV_NOW`` (an ISO time with its offset, e.g. ``2019-06-01T09:00+08:00``) pins "now"
    for every command: reproducible runs, and back-office replays of a past day.
    ``shown_url`` is the URL as the user gave it, named in the errors when the command opens
    ``url`` with settings of its own added (the demo's ``synchronous_commit=off``).
    """
    import pendulum

    import community_governance

    pinned = os.environ.get("CGOV_NOW")
    if pinned and "clock" not in kwargs:
        try:
            fixed = pendulum.parse(pinned)
        except (ValueError, pendulum.parsing.exceptions.ParserError) as exc:
            raise click.BadParameter(f"CGOV_NOW={pinned!r} is not an ISO time: {exc}") from None
        if not isinstance(fixed, pendulum.DateTime):
            raise click.BadParameter(f"CGOV_NOW={pinned!r} must be a date and time")
        kwargs["clock"] = lambda: fixed
    if not create:
        require_database(url)
    if "data_key" not in kwargs:
        kwargs["data_key"] = data_key()[0]
    with storage_errors(shown_url or url):
        gov = community_governance.open(url, create=create, **kwargs)
    try:
        _check_units(gov)
    except BaseException:
        gov.close()
        raise
    return gov


#: the options that name a unit (a code or a code prefix); open_db checks them
_UNIT_OPTIONS = {"within": "--within", "community": "--community", "under": "--under"}


def _check_units(gov: Any) -> None:
    """Refuse a unit code given to the running command that names no unit (exit 3), rather
    than answer with an empty report."""
    from community_governance.errors import NotFound

    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return
    for name, option in _UNIT_OPTIONS.items():
        code = ctx.params.get(name)
        if not isinstance(code, str) or not code:
            continue
        try:
            gov.registry.get_unit(code)
        except NotFound:
            if not gov.registry.list_units(parent=code):
                raise NotFound("unit", code, f"{option} takes the code of a unit in this "
                               "database (e.g. a community's 12 digits); list them with: cgov "
                               "export units --db URL") from None


@contextlib.contextmanager
def batch_of_options(option: str, given: tuple[str, ...]) -> Iterator[None]:
    """Name the place of a bad value of a batch by what the user typed: a batch built from
    ``given``, the values of the repeated ``option`` (``--set``, or an argument's name), one
    item each in order. A ``ValidationError`` at ``$[1].amount`` (the service's place in its
    batch) is raised again at ``--set 5102=abc (amount)``; another library error that names
    ``$[1]`` in its message names ``--set 5102=abc`` instead."""
    import re

    from community_governance.errors import CgovError, ValidationError

    def typed(found: re.Match[str]) -> str:
        i = int(found[1])
        return f"{option} {given[i]}" if i < len(given) else found[0]

    try:
        yield
    except ValidationError as exc:
        found = re.fullmatch(r"\$\[(\d+)\](?:\.(.+))?", exc.path or "")
        if found is None or int(found[1]) >= len(given):
            raise
        where = typed(found) + (f" ({found[2]})" if found[2] else "")
        text = str(exc).removesuffix(f" @ {exc.path}").replace(str(exc.path), where)
        raise ValidationError(text, path=where) from None
    except CgovError as exc:
        exc.args = tuple(re.sub(r"\$\[(\d+)\]", typed, a) if isinstance(a, str) else a
                         for a in exc.args)
        raise


def pick_year(known: list[int], year: int | None, what: str) -> int:
    """The year a report covers: ``year`` when it has data, else the latest year with data
    (said on stderr).

    Raises:
        NotFound: ``year`` has no data, or there is no data at all (exit 3).
    """
    from community_governance.errors import NoData

    if year is None:
        if not known:
            raise NoData(what, None, known)
        have = ", ".join(map(str, known))
        click.echo(f"reporting {known[-1]}, the latest year with {what} (years with {what}: "
                   f"{have}; choose one with --year)", err=True)
        return known[-1]
    if year not in known:
        raise NoData(what, year, known)
    return year


def _safe(url: str) -> str:
    """``url`` with its password hidden."""
    try:
        import sqlalchemy as sa

        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.split("@", 1)[-1] if "@" in url else url


def console() -> Any:
    """A rich ``Console`` on stdout that never cuts a table when stdout is not a terminal
    (a pipe or a file gets the table's full width)."""
    from rich.console import Console

    if sys.stdout.isatty():
        return Console()
    return Console(width=int(os.environ.get("CGOV_WIDTH", "1000")))


def echo_json(data: Any) -> None:
    """Print ``data`` as indented JSON (Chinese kept readable; attrs objects, money, dates and
    enums through the library's converter)."""
    from community_governance.serialization import to_jsonable

    click.echo(json.dumps(to_jsonable(data), ensure_ascii=False, indent=2, default=str))


#: The built-in commands of ``cgov``: name -> (the modules of this package whose
#: ``register(cli)`` adds it, space-separated; its one-line help in ``cgov --help``). A module
#: is imported only when one of its commands runs (or shows its help): ``cgov --help`` imports
#: none. Adding a command is one line here (tests/cli/test_lazy.py checks every line against
#: the modules: the names, the help, and that no module's command is missing).
COMMANDS: dict[str, tuple[str, str]] = {
    "audit": ("audit", "The audit trail (操作日志) and the sensitive-data access log (访问日志)."),
    "calendar": ("calendar", "The official working-day calendar (工作日历) and lunar festivals "
                             "(农历节日)."),
    "care": ("care", "Care for vulnerable residents (关爱困难群众): needs, cadres, rounds, "
                     "visits."),
    "cases": ("cases", "Cases (事务): report, assign, resolve, list, export as Open311."),
    "centres": ("appointments", "Service centres (便民服务, 综治, 文体, 卫生, 日间照料...) and "
                                "appointments."),
    "council": ("council", "The consultative council: members, topics, meetings, votes, "
                           "decisions, the board."),
    "culture": ("culture", "Culture and sports groups (文体组织): members, events, reports."),
    "db": ("db", "Database: create (init), upgrade, status."),
    "demo": ("demo", "Demonstration data: the synthetic Yima city, or two counties of 三门峡市."),
    "export": ("io", "Export KIND (units, buildings, households, residents, popolo) as JSON or "
                     "CSV."),
    "funds": ("funds", "Community funds (经费): double-entry books, budgets, disbursements, "
                       "disclosure."),
    "grids": ("grids", "Grids (网格): draw, check, export, staff."),
    "guide": ("guide", "The service guide (办事指南): seed, publish, list, search, WeChat JSON."),
    "import": ("io", "Import FILE (.csv or .xlsx) of KIND: units, buildings, households, "
                     "residents..."),
    "market": ("market", "Market actors (市场主体), 三无小区, owners' committees, the 三供一业 "
                         "handover, paid services."),
    "orgs": ("orgs", "Social organizations (社会组织): incubation, admission, evaluation, "
                     "supervision."),
    "party": ("party", "Party organizations, members' public board, 群众评议党员."),
    "plugins": ("plugins", "Installed plugins and the hooks they answer."),
    "points": ("points", "The points journal (积分): balance, statement, earn, redeem."),
    "privacy": ("privacy", "Residents' rights under PIPL: export, correct, erase (个人信息权利)."),
    "report": ("report funds cases points", "Reports: summary, participation, funding, cases."),
    "serve": ("serve", "Serve the database over HTTP: Open311 GeoReport v2 at /open311/v2, public "
                       "pages at /public, the authenticated API at /api/v1, the OpenAPI document "
                       "at /schema/openapi.json."),
    "sim": ("sim", "Simulate a city's year: scenarios, sweeps, plots (仿真)."),
    "supermarket": ("points", "The points supermarket (积分超市): stock and restocking."),
    "tenders": ("tenders", "Government purchase of services (政府购买服务): needs, projects, "
                           "tenders, bids, awards, contracts, payments, OCDS."),
    "tokens": ("tokens", "Bearer tokens of the HTTP API (cgov serve): each acts as one actor "
                         "within scopes."),
    "verify": ("audit", "Recompute every ledger from its journal and check every hash chain "
                        "(核对)."),
    "volunteers": ("points", "Volunteers (志愿者): registration, organizations, activities, "
                             "attendance."),
}


class _Group(click.Group):
    """The ``cgov`` group: loads each command on first use (:data:`COMMANDS`), the commands
    of installed plugins (``cgov_register_commands``) when a name is not built in, and turns
    a library error into one line on stderr and the exit status of its kind.

    ``cgov --help`` lists the built-in commands without importing them, and without loading
    the plugins (finding and importing them costs more than the rest of the start-up); a
    plugin's command runs, and shows its help, as before.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._registered: set[str] = set()
        self._plugins_loaded = False

    def load_modules(self, *modules: str) -> None:
        """Import ``modules`` of this package (all of them without any) and call their
        ``register(cli)`` once each."""
        names = modules or tuple(sorted(i.name for i in pkgutil.iter_modules(__path__)
                                        if not i.name.startswith("_")))
        for name in names:
            if name in self._registered:
                continue
            self._registered.add(name)
            register = getattr(importlib.import_module(f"{__name__}.{name}"), "register", None)
            if register is not None:
                register(self)

    def load_plugins(self) -> None:
        """Add the commands of the installed plugins (once)."""
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        from community_governance.errors import CgovError
        from community_governance.plugins import Hooks, accept_any, get_plugin_manager

        try:
            # the national defaults add no command: leaving them out starts faster
            Hooks(get_plugin_manager(defaults=False)).all("cgov_register_commands", accept_any,
                                                          cli=self)
        except CgovError as exc:
            click.secho(f"warning: a plugin's commands were not added: {exc}", fg="yellow",
                        err=True)

    def load_all(self) -> None:
        """Every built-in command and every plugin's."""
        self.load_modules()
        self.load_plugins()

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(COMMANDS) | set(self.commands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands:
            if cmd_name in COMMANDS:
                self.load_modules(*COMMANDS[cmd_name][0].split())
            else:  # a plugin's command, or a module not yet in COMMANDS
                self.load_all()
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The list of commands, with the help of :data:`COMMANDS` for those not loaded (as
        click shows a loaded command's)."""
        from gettext import gettext

        rows: list[tuple[str, str | None]] = []
        for name in self.list_commands(ctx):
            cmd = self.commands.get(name)
            if cmd is None:
                rows.append((name, None))
            elif not cmd.hidden:
                rows.append((name, ""))
        if not rows:
            return
        limit = formatter.width - 6 - max(len(name) for name, _ in rows)
        lines = []
        for name, _ in rows:
            cmd = self.commands.get(name)
            lines.append((name, cmd.get_short_help_str(limit) if cmd is not None
                          else click.Command(name, help=COMMANDS[name][1])
                          .get_short_help_str(limit)))
        with formatter.section(gettext("Commands")):
            formatter.write_dl(lines)

    def invoke(self, ctx: click.Context) -> Any:
        from community_governance.errors import CgovError, PermissionDenied, exit_code

        try:
            return super().invoke(ctx)
        except CgovError as exc:
            click.secho(f"error: {exc}", fg="red", err=True)
            sub = ctx.invoked_subcommand
            if isinstance(exc, PermissionDenied) and not ctx.meta.get(_ACTOR_NAMED):
                click.secho(f"hint: cgov {sub or ''} ran as the public (no --as, no "
                            "CGOV_ACTOR), who sees public data only; name who acts with "
                            "--as staff:<id> or CGOV_ACTOR", fg="yellow", err=True)
            sys.exit(exit_code(exc))


@click.group(cls=_Group)
@click.version_option(package_name="community-governance")
def cli() -> None:
    """cgov: community governance (基层社区治理) from the command line."""


def _load() -> None:
    """Load every command now (the docs' reference, the tests): built-in and plugins'."""
    assert isinstance(cli, _Group)
    cli.load_all()


def main() -> None:
    """Entry point of the ``cgov`` script: commands load on first use."""
    cli()
