"""The base install works without the ``[grids]``, ``[demo]`` and ``[sim]`` extras (numpy,
polars, matplotlib, SALib); a missing one is named when it is needed; the base dependencies stay
within the size budget (issue #21: under 100 MB, measured by ``benchmarks/bench_install.py``)."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

from community_governance.errors import CgovError, MissingExtra, require_extra

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"

#: What each base dependency adds to a fresh venv (MiB, byte code included, with the
#: dependencies it alone brings: rich brings pygments and markdown-it, cryptography cffi,
#: pendulum dateutil and tzdata, alembic mako), measured 2026-12-03 with Python 3.11 by
#: ``benchmarks/bench_install.py``. A new base dependency must be measured and added here; the
#: budget keeps the base install under 100 MB. numpy (73 MB) is in the ``[grids]``, ``[demo]``
#: and ``[sim]`` extras, polars and matplotlib in ``[sim]``, litestar in ``[http]``.
BASE_MB = {
    "community-governance": 7.9, "sqlalchemy": 28.6, "cryptography": 17.3, "rich": 13.5,
    "python-stdnum": 5.6, "phonenumberslite": 5.3, "pendulum": 5.4, "alembic": 3.5,
    "jinja2": 1.4, "lunar-python": 1.0, "click": 1.0, "charset-normalizer": 1.0,
    "platformdirs": 1.0, "cattrs": 0.8, "attrs": 0.6, "pluggy": 0.3, "tomli-w": 0.1,
}
BUDGET_MB = 100.0
#: modules the base install must import and run without
EXTRAS_ONLY = ("numpy", "polars", "matplotlib", "SALib", "litestar", "uvicorn", "openpyxl",
               "psycopg", "dask", "distributed", "scipy")


def _base_dependencies() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    return {re.split(r"[ ;<>=!\[~]", req, maxsplit=1)[0].lower()
            for req in project["dependencies"]}


def test_every_base_dependency_is_measured_and_the_sum_is_under_budget() -> None:
    deps = _base_dependencies()
    assert deps == set(BASE_MB) - {"community-governance"}, (
        "a base dependency was added or removed: measure it (benchmarks/bench_install.py) "
        "and update BASE_MB")
    assert sum(BASE_MB.values()) < BUDGET_MB
    heavy = {m.lower() for m in EXTRAS_ONLY}
    assert not deps & heavy


def test_the_extras_install_what_their_features_need() -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))[
        "project"]["optional-dependencies"]

    def names(extra: str) -> set[str]:
        return {re.split(r"[ ;<>=!\[~]", r, maxsplit=1)[0].lower() for r in extras[extra]}

    assert names("grids") == {"numpy"}
    assert names("demo") >= {"numpy"}
    assert names("sim") >= {"numpy", "polars", "matplotlib", "salib"}
    assert names("http") >= {"litestar", "uvicorn"}
    # make install / make demo install the dev extra: everything any feature needs
    for extra in ("grids", "demo", "sim", "http", "xlsx", "postgresql"):
        assert names(extra) <= names("dev"), extra


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


def _lean(code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a process where no extra's module can be imported."""
    block = "".join(f"sys.modules[{m!r}] = None\n" for m in EXTRAS_ONLY)
    return subprocess.run([sys.executable, "-c", "import sys\n" + block + textwrap.dedent(code)],
                          capture_output=True, text=True,
                          env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"}, timeout=120)


def test_the_library_and_cli_help_import_without_the_extras() -> None:
    """``import community_governance``, every CLI module (``cgov --help``) and the everyday
    services run in a process where numpy, polars, matplotlib, litestar, ... cannot be
    imported."""
    done = _lean("""
        import community_governance
        from community_governance.domain.access import Actor
        with community_governance.open("memory://", entrypoints=False) as gov:
            gov.registry.list_units()
            assert gov.grids.staffing(Actor.system("t")).communities == ()
        from community_governance import cli
        sys.argv = ["cgov", "--help"]
        try:
            cli.main()
        except SystemExit as exc:
            assert exc.code in (0, None), exc.code
        assert all(sys.modules[m] is None for m in ("numpy", "polars", "matplotlib"))
    """)
    assert done.returncode == 0, done.stderr
    assert "Usage: cgov" in done.stdout
    assert "sim" in done.stdout


def test_drawing_checking_and_mapping_grids_without_numpy_name_the_grids_extra() -> None:
    done = _lean("""
        import community_governance
        from community_governance.domain.access import Actor
        from community_governance.errors import MissingExtra
        with community_governance.open("memory://", entrypoints=False) as gov:
            for call in (lambda: gov.grids.draw(Actor.system("t")),
                         lambda: gov.grids.check(Actor.system("t")),
                         lambda: gov.grids.export_geojson(Actor.system("t"))):
                try:
                    call()
                except MissingExtra as err:
                    assert (err.module, err.extra) == ("numpy", "grids"), err
                    print(err)
                else:
                    raise AssertionError("no MissingExtra")
    """)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("pip install 'community-governance[grids]'") == 3
    assert "drawing grids needs numpy" in done.stdout


def test_the_demo_without_numpy_names_the_demo_extra(tmp_path: Path) -> None:
    db = tmp_path / "d.db"
    done = _lean(f"""
        from community_governance import cli
        sys.argv = ["cgov", "demo", "yima", "--db", "sqlite:///{db}"]
        try:
            cli.main()
        except SystemExit as exc:
            print("exit", exc.code)
    """)
    out = done.stdout + done.stderr
    assert "community-governance[demo]" in out, out
    assert "exit 0" not in out
