"""``cgov plugins``: which plugin answers each hook, and in what order."""

from __future__ import annotations

import click

from community_governance.cli import console, echo_json


def register(cli: click.Group) -> None:
    """Add the ``plugins`` group."""

    @cli.group()
    def plugins() -> None:
        """Installed plugins and the hooks they answer."""

    @plugins.command("list")
    @click.option("--plugin", "extra", multiple=True,
                  help="also load this module as a plugin (import path), as open(plugins=) does")
    @click.option("--place", default=None,
                  help="list the order in which plugins are asked about this unit code "
                       "(scoped plugins outside it are left out)")
    @click.option("--timings", is_flag=True,
                  help="show how long each plugin's hooks took (saved by every process that "
                       "used the --db store)")
    @click.option("--db", "db", envvar="CGOV_DB", default=None,
                  help="the store whose saved timings --timings shows")
    @click.option("--json", "as_json", is_flag=True, help="print JSON")
    def list_(extra: tuple[str, ...], place: str | None, timings: bool, db: str | None,
              as_json: bool) -> None:
        """For every hook, the plugins that answer it, in the order they are asked.

        For first-result hooks the first plugin listed that answers wins; the national defaults
        (cgov.defaults.*) come last. Each plugin's scope (cgov_plugin_scope) is listed;
        plugins of one scope that conflict are refused with exit status 1, naming both.
        """
        import importlib

        from community_governance.errors import PluginError
        from community_governance.hookdoc import iter_hooks
        from community_governance.plugins import Hooks, get_plugin_manager

        try:
            mods = [importlib.import_module(m) for m in extra]
        except ImportError as exc:
            raise click.ClickException(f"cannot import the plugin module: {exc}") from exc
        try:
            hooks = Hooks(get_plugin_manager(extra=mods))
        except PluginError as exc:
            raise click.ClickException(str(exc)) from exc
        if timings:
            _print_timings(hooks, db, as_json)
            return
        scopes = {str(hooks.pm.get_name(p)): hooks.scope_of(str(hooks.pm.get_name(p)))
                  for p in hooks.pm.get_plugins()}
        rows = []
        for family, name, fn in iter_hooks():
            opts = getattr(fn, "community_governance_spec", {}) or {}
            rows.append({
                "family": family, "hook": name,
                "combination": "first result" if opts.get("firstresult") else "all results",
                "plugins": hooks.implementations(name, place=place),
            })
        if as_json:
            echo_json({"plugins": sorted(scopes), "hooks": rows,
                       "scopes": {k: list(v) for k, v in sorted(scopes.items()) if v}})
            return
        from rich.table import Table

        table = Table(title="Hooks and the plugins that answer them (asked in this order)")
        for col in ("hook", "combination", "plugins"):
            table.add_column(col)
        for r in rows:
            table.add_row(str(r["hook"]), str(r["combination"]), " → ".join(r["plugins"]))
        console().print(table)
        scoped = {k: v for k, v in sorted(scopes.items()) if v}
        if scoped:
            click.echo("Scopes (unit-code prefixes a plugin serves; others serve everywhere):")
            for k, v in scoped.items():
                click.echo(f"  {k}: {', '.join(v)}")


    @plugins.command("check")
    @click.argument("module")
    @click.option("--county", "counties", multiple=True, metavar="CODE",
                  help="a county (6 digits) whose generated places the plugin is asked about; "
                       "repeat for several (default: the plugin's cgov_plugin_scope, else 411281)")
    @click.option("--examples", default=25, show_default=True,
                  help="generated inputs per hook")
    @click.option("--json", "as_json", is_flag=True, help="print JSON")
    def check(module: str, counties: tuple[str, ...], examples: int, as_json: bool) -> None:
        """Run the test kit's conformance check on the plugin MODULE (an import path).

        Every hook the plugin implements is called with generated inputs for places of the
        counties, and every answer checked as the services check it. Prints one line per
        problem and exits with status 1 when there is any (0 and "ok" when there is none).
        """
        import importlib

        from community_governance.testing.conformance import check_plugin

        try:
            plugin = importlib.import_module(module)
        except ImportError as exc:
            raise click.BadParameter(f"cannot import {module!r}: {exc}; install the plugin "
                                     "(pip install -e path/to/plugin) or fix the import path",
                                     param_hint="MODULE") from exc
        try:
            problems = check_plugin(plugin, counties=list(counties) or None, examples=examples)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--county") from exc
        if as_json:
            echo_json({"module": module, "counties": list(counties),
                       "problems": [str(p) for p in problems], "ok": not problems})
            if problems:
                raise SystemExit(1)
            return
        for problem in problems:
            click.echo(f"{module}: {problem}")
        if problems:
            raise SystemExit(1)
        click.echo(f"{module}: ok ({', '.join(counties) or 'its own scope'})")


def _print_timings(hooks: object, db: str | None, as_json: bool) -> None:
    """The saved timings of ``db`` (or say there are none to show)."""
    if db is None:
        raise click.UsageError("--timings needs --db URL (or CGOV_DB): the timings are saved in "
                               "the store by every process that used it")
    from community_governance.cli import open_db

    with open_db(db) as gov:
        report = gov.plugin_timings()
    rows = [t.as_dict() for t in report]
    if as_json:
        echo_json({"timings": rows, "slow_hook_ms": getattr(hooks, "slow_hook_ms", None)})
        return
    if not rows:
        click.echo("no hook calls have been timed in this store yet")
        return
    from rich.table import Table

    table = Table(title="Hook timings per plugin (ms), slowest total first")
    for col in ("hook", "plugin", "calls", "total_ms", "mean_ms", "max_ms", "slow"):
        table.add_column(col, justify="right" if col not in ("hook", "plugin") else "left")
    for r in rows:
        table.add_row(*(str(r[c]) for c in ("hook", "plugin", "calls", "total_ms", "mean_ms",
                                            "max_ms", "slow")))
    console().print(table)
