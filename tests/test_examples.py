"""Every script in examples/ runs to the end (the shipped examples are tests)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.py"))


def test_there_are_examples() -> None:
    """Ships at least the quick start."""
    assert "quickstart.py" in [p.name for p in EXAMPLES]


def _quickstart(out: str) -> None:
    """The quick start's numbers and masked forms, exactly."""
    lines = out.splitlines()
    assert re.fullmatch(r"Resident\(id='R[0-9a-f]{15}', name='张秀兰', "
                        r"id_number='4112\*{10}0012', household_id='411281001001-B0001-301', "
                        r"phone='139\*{4}1234'\)", lines[0]), lines[0]
    assert lines[1] == "born 1950-03-07 sex M"
    assert lines[2] == ("refused: 4112**********0010: the check character is '0' but the first "
                        "17 digits give '2' (ISO 7064 MOD 11-2); a digit was probably mistyped "
                        "@ $[0].id_number")
    assert lines[3] == ("{'subdistricts': 1, 'communities': 1, 'grids': 0, 'compounds': 0, "
                        "'buildings': 1, 'households': 1, 'residents': 1, 'posts': {}, "
                        "'party_orgs': 0, 'partner_units': 0}")


ROW = re.compile(r"^\s*(\d+) \| ([+-]\d+\.\d{3}) ± (\d+\.\d{3}) \| ([+-]\d+) \| "
                 r"([\d,]+) \| (-?[\d.]+|inf|nan)$", re.M)
ANSWER = re.compile(r"rises by about (-?\d+\.\d{2}) percentage points at (\d+) points an "
                    r"hour, for about ([\d,]+) CNY of goods per community a year "
                    r"\((-?[\d.]+|inf|nan) CNY per extra participant-week\)")


def _researcher(out: str) -> None:
    """The answer repeats the numbers of the table row it picks, and picks the best row."""
    rows = ROW.findall(out)
    assert [int(r[0]) for r in rows] == [5, 10, 20], out[-2000:]
    answer = ANSWER.search(out)
    assert answer is not None, out[-2000:]
    best = max(rows, key=lambda r: float(r[1]))
    assert int(answer[2]) == int(best[0])
    assert abs(float(answer[1]) - float(best[1])) <= 0.0051  # .3f in the row, .2f here
    assert answer[3] == best[4]
    assert all(float(r[4].replace(",", "")) >= 0 for r in rows)  # goods cost money
    assert "figures:" in out


#: What each example must print, beyond running: its numbers compared, not just shown.
CHECKS = {"quickstart.py": _quickstart, "researcher_points_supermarket.py": _researcher}


def test_every_example_has_its_output_checked() -> None:
    assert sorted(CHECKS) == sorted(p.name for p in EXAMPLES)


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs(script: Path, tmp_path: Path) -> None:
    """Runs the example in a fresh process, exits 0, and prints the expected numbers."""
    env = {**os.environ, "MPLBACKEND": "Agg", "CGOV_EXAMPLE_OUT": str(tmp_path)}
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)
    assert 0 == done.returncode, done.stderr[-3000:]
    assert done.stdout.strip(), "an example prints what it shows"
    CHECKS[script.name](done.stdout)
