"""Core hooks: storage backends, resident validation, access policy, notifications, the CLI."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from community_governance.markers import hookspec

if TYPE_CHECKING:
    import datetime as dt

    import click

    from community_governance.domain.access import Action, Principal, Target
    from community_governance.domain.people import Resident
    from community_governance.storage.base import Store

# ---------------------------------------------------------------------------------------------
# Storage
# ---------------------------------------------------------------------------------------------


@hookspec(firstresult=True)
def cgov_storage_backend(url: str) -> Store | None:
    """Open the store for a database URL whose scheme the plugin serves.

    Called by :func:`community_governance.open` once per call, with the URL as given. The
    built-in plugin serves ``memory://``, ``sqlite:///path`` and ``postgresql://...``.

    Args:
        url: the database URL.

    Returns:
        A :class:`~community_governance.storage.base.Store`, or ``None`` when the scheme is not
        the plugin's.

    Stops at first non-None result.

    Example::

        @hookimpl
        def cgov_storage_backend(url):
            if url.startswith("yima://"):  # the county's short name for its database file
                return SqlStore.from_url("sqlite:///" + url.removeprefix("yima://"))
            return None
    """


# ---------------------------------------------------------------------------------------------
# Where a plugin applies
# ---------------------------------------------------------------------------------------------


@hookspec
def cgov_plugin_scope() -> list[str] | None:
    """Name the places a plugin serves, as unit-code prefixes (适用范围).

    Called once per plugin when the store is opened. A plugin that answers is asked only about
    places (``place=`` of a hook call: a community, or a county for county-wide rules) whose
    code starts with one of its prefixes, whatever the registration order. Scopes nest: the
    most specific scope answers first, then wider ones, then unscoped plugins, then the
    national defaults. Two plugins of the same scope answering the same first-result hook, or
    defining the same case category, are refused at ``open()`` naming both.

    Returns:
        A non-empty list of prefixes of 2 (province), 4 (prefecture), 6 (county), 9
        (sub-district) or 12 (community) digits; ``None`` to serve everywhere (as the national
        defaults do). Anything else is a ``PluginError`` at ``open()``.

    All results are combined: each plugin's answer is its own scope (answers are never merged).

    Example::

        @hookimpl
        def cgov_plugin_scope():
            return ["411281"]  # 义马市 only
    """


# ---------------------------------------------------------------------------------------------
# Registry
# ---------------------------------------------------------------------------------------------


@hookspec
def cgov_validate_resident(
    resident: Resident, today: dt.date, community_code: str | None
) -> list[str] | None:
    """Check a resident before it is registered or corrected, by the county's own rules.

    Called by ``gov.registry`` for every resident it writes, after the library's own checks
    (the ID number, the household).

    Args:
        resident: the resident about to be written.
        today: the day of the write, in the county's zone.
        community_code: the community of the resident's household (``None`` for a resident
            being erased or without a household).

    Returns:
        A list of problems (each a sentence naming the rule and the fix); empty or ``None``
        when the resident is fine.

    All results are combined: every plugin's problems are reported together, and any problem
    refuses the write.

    Example::

        @hookimpl
        def cgov_validate_resident(resident, today, community_code):
            if resident.phone is None:
                return ["this county requires a phone number for every resident"]
            return None
    """


# ---------------------------------------------------------------------------------------------
# Access policy
# ---------------------------------------------------------------------------------------------


@hookspec
def cgov_narrow_permission(principal: Principal, action: Action, target: Target) -> bool | None:
    """Narrow the built-in access policy for one decision.

    Called after the built-in policy granted ``action`` on ``target``. A plugin can only take a
    right away: ``True`` never widens what the library's own policy denied.

    Args:
        principal: the actor and its active posts.
        action: the action asked for.
        target: what it is asked on.

    Returns:
        ``False`` to deny; ``True`` or ``None`` to leave the decision as it is.

    All results are combined: the action is allowed only if no plugin answers ``False``.

    Example::

        @hookimpl
        def cgov_narrow_permission(principal, action, target):
            if action.name == "resident.read_id_number" and principal.day.weekday() >= 5:
                return False  # no full ID numbers at weekends in this county
            return None
    """


# ---------------------------------------------------------------------------------------------
# Notifications and the command line
# ---------------------------------------------------------------------------------------------


@hookspec
def cgov_notify(event: str, payload: dict[str, Any]) -> None:
    """Learn that something happened, e.g. to push it to a WeChat official account.

    Called after the transaction that caused the event has committed, so a failing notifier
    never undoes a write; its errors are logged with the plugin's name.

    Args:
        event: the event's name, e.g. ``case.escalated``.
        payload: JSON-ready details; personal data is already masked.

    Returns:
        Nothing.

    All results are combined: every implementation is called; answers are ignored.

    Example::

        log = logging.getLogger("yima_plugin.wechat")

        @hookimpl
        def cgov_notify(event, payload):
            if event == "case.escalated":  # e.g. push a WeChat template message here
                log.info("case %s escalated to level %s", payload["case_id"], payload["level"])
    """


@hookspec
def cgov_register_commands(cli: click.Group) -> None:
    """Add subcommands to the ``cgov`` command line.

    Called once, with the top-level click group, the first time ``cgov`` is asked for a
    command that is not built in (running it, or its ``--help``). ``cgov --help`` lists the
    built-in commands only, so that it starts fast; ``cgov plugins list`` names the plugins
    that answer this hook.

    Args:
        cli: the ``cgov`` group; call ``cli.add_command`` or use ``@cli.command()``.

    Returns:
        Nothing.

    All results are combined: every implementation is called; answers are ignored.

    Example::

        @hookimpl
        def cgov_register_commands(cli):
            @cli.command()
            def hello():
                click.echo("义马市 plugin here")
    """
