"""Install size: the base install (no extras) in a fresh virtual environment, in MB.

Creates a venv in a temporary folder, ``pip install``s this checkout into it (so it needs the
package index, or a warm pip cache, and takes a minute or two), and prints one JSON object per
install measured:

- ``install_size``: ``install_mb`` = what the install adds to a fresh venv's ``site-packages``
  (``du`` of every file, in MiB, byte code included), the headline held to ``target_mb`` = 100
  for the base install (issue #21); ``site_packages_mb`` = the whole ``site-packages``, which
  also holds the venv's own pip and setuptools (``pip_and_setuptools_mb``, about 26 MB, there
  before anything is installed); the largest distributions; whether
  ``import community_governance`` and ``cgov --help`` run there without numpy, polars and
  matplotlib.

Measured 2026-12-03 (Python 3.11): the base install adds 96 MB (the whole site-packages 122 MB);
before numpy moved to the ``[grids]``/``[demo]``/``[sim]`` extras it added 168 MB.

Run: ``.venv/bin/python benchmarks/bench_install.py [--extra sim] [--keep]``; each ``--extra``
adds a measurement of the base install plus that extra (e.g. ``sim``: polars, matplotlib).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TARGET_MB = 100.0


def emit(**fields: Any) -> None:
    print(json.dumps(fields, ensure_ascii=False), flush=True)


def size_mb(folder: Path) -> float:
    """Bytes on disk under ``folder``, files and folders (as ``du`` counts them), in MiB."""
    total = 0
    for dirpath, _dirs, files in os.walk(folder):
        total += os.lstat(dirpath).st_blocks * 512
        for name in files:
            st = os.lstat(os.path.join(dirpath, name))
            total += st.st_blocks * 512
    return total / 2**20


def largest(site: Path, n: int = 8) -> dict[str, float]:
    """The ``n`` largest top-level entries of ``site-packages`` (MiB)."""
    sizes = {p.name: size_mb(p) if p.is_dir() else p.stat().st_size / 2**20
             for p in site.iterdir() if not p.name.endswith(".dist-info")}
    top = sorted(sizes.items(), key=lambda kv: -kv[1])[:n]
    return {k: round(v, 1) for k, v in top}


def measure(folder: Path, extra: str | None) -> None:
    venv = folder / ("venv-" + (extra or "base"))
    python = sys.executable if sys.base_prefix == sys.prefix else (
        str(Path(sys.base_prefix) / "bin" / "python3"))
    subprocess.run([python, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "--quiet", "--upgrade", "pip"],
                   check=True)
    before = size_mb(next((venv / "lib").glob("python*/site-packages")))
    target = str(ROOT) + (f"[{extra}]" if extra else "")
    started = time.perf_counter()
    subprocess.run([str(py), "-m", "pip", "install", "--quiet", target], check=True)
    seconds = time.perf_counter() - started
    site = next((venv / "lib").glob("python*/site-packages"))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    imports = subprocess.run(
        [str(py), "-c", "import community_governance, sys; "
         "sys.exit(1 if {'numpy', 'polars', 'matplotlib'} & set(sys.modules) else 0)"],
        env=env, capture_output=True, text=True).returncode == 0
    helps = subprocess.run([str(venv / "bin" / "cgov"), "--help"], env=env,
                           capture_output=True, text=True).returncode == 0
    total = size_mb(site)
    own = total - before
    emit(
        figure="install_size",
        extras=[extra] if extra else [],
        install_mb=round(own, 1),
        site_packages_mb=round(total, 1),
        pip_and_setuptools_mb=round(before, 1),
        target_mb=TARGET_MB if extra is None else None,
        under_target=(own < TARGET_MB) if extra is None else None,
        largest_mb=largest(site),
        import_without_numpy_polars_matplotlib=imports,
        cgov_help_runs=helps,
        install_seconds=round(seconds, 1),
        python=".".join(map(str, sys.version_info[:2])),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--extra", action="append", default=[],
                        help="also measure the base install plus this extra (repeatable)")
    parser.add_argument("--keep", action="store_true", help="keep the venvs (prints where)")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="cgov-install-")
    try:
        for extra in [None, *args.extra]:
            measure(Path(tmp), extra)
    finally:
        if args.keep:
            print(f"# venvs kept in {tmp}", file=sys.stderr)
        else:
            subprocess.run(["rm", "-rf", tmp], check=False)


if __name__ == "__main__":
    main()
