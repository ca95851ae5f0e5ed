"""``cgov plugins``: which plugin answers each hook, and in what order."""

from __future__ import annotations

import click

from community_governance.cli import echo_json


def register(cli: click.Group) -> None:
    """Add the ``plugins`` group."""

    @cli.group()
    def plugins() -> None:
        """Installed plugins and the hooks they answer."""

    @plugins.command("list")
    @click.option("--plugin", "extra", multiple=True,
                  help="also load this module as a plugin (import path), as open(plugins=) does")
    @click.option("--json", "as_json", is_flag=True, help="print JSON")
    def list_(extra: tuple[str, ...], as_json: bool) -> None:
        """For every hook, the plugins that answer it, in the order they are asked.

        For first-result hooks the first plugin listed that answers wins; the national defaults
        (cgov.defaults.*) come last.
        """
        import importlib

        from community_governance.hookdoc import iter_hooks
        from community_governance.plugins import Hooks, get_plugin_manager

        mods = [importlib.import_module(m) for m in extra]
        hooks = Hooks(get_plugin_manager(extra=mods))
        rows = []
        for family, name, fn in iter_hooks():
            opts = getattr(fn, "community_governance_spec", {}) or {}
            rows.append({
                "family": family, "hook": name,
                "combination": "first result" if opts.get("firstresult") else "all results",
                "plugins": hooks.implementations(name),
            })
        if as_json:
            echo_json({"plugins": sorted(str(hooks.pm.get_name(p))
                                         for p in hooks.pm.get_plugins()), "hooks": rows})
            return
        from rich.console import Console
        from rich.table import Table

        table = Table(title="Hooks and the plugins that answer them (asked in this order)")
        for col in ("hook", "combination", "plugins"):
            table.add_column(col)
        for r in rows:
            table.add_row(str(r["hook"]), str(r["combination"]), " → ".join(r["plugins"]))
        Console().print(table)

    @plugins.command("check")
    @click.argument("module")
    @click.option("--county", "counties", multiple=True, metavar="CODE",
                  help="a county (6 digits) whose generated places the plugin is asked about; "
                       "repeat for several (default: the plugin's cgov_plugin_scope, else 411281)")
    @click.option("--examples", default=25, show_default=True,
                  help="generated inputs per hook")
    def check(module: str, counties: tuple[str, ...], examples: int) -> None:
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
        for problem in problems:
            click.echo(f"{module}: {problem}")
        if problems:
            raise SystemExit(1)
        click.echo(f"{module}: ok ({', '.join(counties) or 'its own scope'})")
