"""The base install works without the ``[sim]`` extra (polars, matplotlib); a missing one is
named when it is needed."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from community_governance.errors import CgovError, MissingExtra, require_extra

SRC = Path(__file__).resolve().parents[2] / "src"


def test_read_run_without_polars_names_the_extra(monkeypatch: pytest.MonkeyPatch,
                                                 tmp_path: Path) -> None:
    """A simulation table needs polars: without it the error says which extra installs it."""
    from community_governance.simulation.outputs import read_run

    monkeypatch.setitem(sys.modules, "polars", None)
    with pytest.raises(MissingExtra) as info:
        read_run(tmp_path)
    err = info.value
    assert isinstance(err, CgovError) and isinstance(err, ImportError)
    assert (err.module, err.extra, err.name) == ("polars", "sim", "polars")
    assert "pip install 'community-governance[sim]'" in str(err)
    assert "simulation tables needs polars" in str(err)


def test_plots_without_matplotlib_name_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """Plotting needs matplotlib: without it the error says which extra installs it."""
    from community_governance.simulation.plots import configure_fonts, find_cjk_font

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    for call in (find_cjk_font, configure_fonts):
        with pytest.raises(MissingExtra, match=r"community-governance\[sim\]"):
            call()


def test_require_extra_passes_for_an_installed_module() -> None:
    require_extra("json", "sim")


def test_the_library_and_cli_help_import_without_polars_and_matplotlib() -> None:
    """``import community_governance``, every CLI module (``cgov --help``) and the services run
    in a process where polars and matplotlib cannot be imported."""
    code = textwrap.dedent("""
        import sys
        sys.modules["polars"] = None
        sys.modules["matplotlib"] = None
        import community_governance
        with community_governance.open("memory://", entrypoints=False) as gov:
            gov.registry.list_units()
        from community_governance import cli
        sys.argv = ["cgov", "--help"]
        try:
            cli.main()
        except SystemExit as exc:
            assert exc.code in (0, None), exc.code
        assert sys.modules["polars"] is None and sys.modules["matplotlib"] is None
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"}, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Usage: cgov" in done.stdout
    assert "sim" in done.stdout
