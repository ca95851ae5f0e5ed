"""The command line loads lazily: ``cgov --help`` imports no command module, no storage layer,
no calendar library and no plugin, yet lists every command with the help click would show;
each command, loaded alone, is the same command as with everything loaded."""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import subprocess
import sys
import types

import click
import pytest
from click.testing import CliRunner

import community_governance.cli as cli_pkg
from community_governance.cli import COMMANDS, _Group, _load, cli

#: what ``cgov --help`` must not import (each costs start-up time; none is needed to list)
HEAVY = ("sqlalchemy", "alembic", "lunar_python", "cryptography", "numpy", "pendulum",
         "pluggy", "attrs", "importlib.metadata", "community_governance.plugins",
         "community_governance.domain", "community_governance.calendars", "cgov_yima",
         "cgov_hubin")


def _run(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "80"}
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          env=env, check=True, timeout=60)


def _modules() -> list[str]:
    return sorted(i.name for i in pkgutil.iter_modules(cli_pkg.__path__)
                  if not i.name.startswith("_"))


def test_help_imports_nothing_heavy() -> None:
    """``cgov --help`` (the script's entry point) leaves the heavy modules unimported."""
    out = _run("import sys, json\n"
               "from community_governance.cli import main\n"
               "try:\n    main()\nexcept SystemExit:\n    pass\n"
               "print(json.dumps(sorted(sys.modules)))", "--help").stdout
    loaded = json.loads(out.splitlines()[-1])
    heavy = sorted(m for m in loaded if m.startswith(HEAVY))
    assert heavy == []
    assert not [m for m in loaded if m.startswith("community_governance.cli.")]


def test_importing_the_cli_root_imports_no_storage_nor_calendar() -> None:
    """``import community_governance.cli`` alone loads neither SQLAlchemy nor lunar-python."""
    out = _run("import sys, community_governance.cli\n"
               "print(sorted(m for m in sys.modules if m.split('.')[0] in "
               "('sqlalchemy', 'lunar_python', 'pluggy', 'cryptography')))").stdout
    assert out.strip() == "[]"


def test_help_lists_every_command_as_the_full_load_does() -> None:
    """The lazy ``cgov --help`` is the help of the group with every command loaded."""
    lazy = _run("from community_governance.cli import main; main()", "--help").stdout
    _load()
    full = CliRunner().invoke(cli, ["--help"], terminal_width=78, prog_name="-c")
    assert full.exit_code == 0
    assert lazy == full.stdout
    listed = {line.split()[0] for line in lazy.split("Commands:")[1].splitlines()
              if line.strip()}
    assert listed == set(cli.commands) == set(COMMANDS)


def test_every_module_command_is_in_the_table() -> None:
    """Each command a module registers has its line in COMMANDS, naming that module, with
    the short help click would show at any width."""
    for name in _modules():
        mod = importlib.import_module(f"community_governance.cli.{name}")
        group = click.Group("probe")
        mod.register(group)
        for cmd_name, cmd in group.commands.items():
            assert cmd_name in COMMANDS, f"add {cmd_name!r} ({name}.py) to cli.COMMANDS"
            modules, help_text = COMMANDS[cmd_name]
            assert name in modules.split(), (cmd_name, name)
            for limit in (20, 45, 60, 80, 200):
                assert click.Command(cmd_name, help=help_text).get_short_help_str(limit) == \
                    cmd.get_short_help_str(limit), (cmd_name, limit)


def test_each_command_loaded_alone_is_the_full_command() -> None:
    """``cgov NAME --help`` in a fresh process (only NAME's modules loaded) shows what the
    fully loaded group shows: no subcommand another module adds goes missing."""
    env = {**os.environ, "COLUMNS": "80"}
    procs = {name: subprocess.Popen(
        [sys.executable, "-c", "from community_governance.cli import main; main()", name,
         "--help"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        for name in sorted(COMMANDS)}  # one process each, run side by side
    _load()
    for name, proc in procs.items():
        out, err = proc.communicate(timeout=120)
        full = CliRunner().invoke(cli, [name, "--help"], terminal_width=78, prog_name="-c")
        assert proc.returncode == full.exit_code == 0, (name, err)
        assert out == full.stdout, name


def test_a_plugin_command_loads_when_named(monkeypatch: pytest.MonkeyPatch) -> None:
    """A plugin's command is not listed by ``cgov --help`` (no plugin is loaded for it), and
    runs, with its help, when named."""
    from community_governance import plugins
    from community_governance.markers import hookimpl

    plugin = types.ModuleType("hello_plugin")

    @hookimpl
    def cgov_register_commands(cli: click.Group) -> None:
        @cli.command()
        def hello() -> None:
            """Say hello from 义马市."""
            click.echo("义马市 plugin here")

    plugin.cgov_register_commands = cgov_register_commands  # type: ignore[attr-defined]
    real = plugins.get_plugin_manager
    monkeypatch.setattr(plugins, "get_plugin_manager",
                        lambda **kw: real(entrypoints=False, extra=[plugin], defaults=False))
    group = _Group(name="cgov")
    assert "hello" not in CliRunner().invoke(group, ["--help"]).stdout
    result = CliRunner().invoke(group, ["hello"])
    assert result.exit_code == 0 and "义马市 plugin here" in result.stdout
    assert "Say hello" in CliRunner().invoke(group, ["--help"]).stdout  # now loaded
    assert CliRunner().invoke(group, ["nonesuch"]).exit_code == 2
