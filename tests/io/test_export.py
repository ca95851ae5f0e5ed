"""Export to JSON and CSV: masked by default, revealed only with the right and a reason."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

import community_governance
from community_governance.domain.access import Actor
from community_governance.errors import PermissionDenied, ValidationError
from community_governance.io.exporters import FIELDS, export
from community_governance.io.importers import import_file
from community_governance.testing.city import SmallCity

SYSTEM = Actor.system("export")
C1 = "411281001001"
FULL_ID = re.compile(r"\d{17}[\dX]")
FULL_PHONE = re.compile(r"1[3-9]\d{9}")


def _dump(gov: Any, kind: str, fmt: str, **kw: Any) -> str:
    out = io.StringIO()
    export(gov, kind, out, fmt=fmt, **kw)
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_exports_carry_no_full_numbers(small_city: SmallCity, gov: Any, fmt: str) -> None:
    """Scans every export for full ID and phone numbers: none unless revealed."""
    text = "".join(_dump(gov, kind, fmt, actor=SYSTEM) for kind in FIELDS)
    assert not FULL_ID.search(text) and not FULL_PHONE.search(text)
    assert not any(n in text for n in small_city.id_numbers.values())
    assert "****" in text


def test_csv_export_has_the_import_header(small_city: SmallCity, gov: Any) -> None:
    """Writes the import columns and one row per resident in the actor's scope."""
    text = _dump(gov, "residents", "csv", actor=small_city.secretary[C1])
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0]) == FIELDS["residents"] and len(rows) == 24


def test_reveal_needs_right_and_reason(small_city: SmallCity, gov: Any) -> None:
    """Refuses reveal without a reason and for a building leader; shows numbers otherwise."""
    with pytest.raises(ValidationError):
        _dump(gov, "residents", "json", actor=small_city.secretary[C1], reveal=True)
    leader = small_city.building_leader[f"{C1}-B0001"]
    with pytest.raises(PermissionDenied):
        _dump(gov, "residents", "json", actor=leader, reveal=True, reason="visit")
    with pytest.raises(ValidationError, match="only a residents export"):
        _dump(gov, "units", "json", actor=SYSTEM, reveal=True, reason="x")
    data = json.loads(_dump(gov, "residents", "json", actor=small_city.secretary[C1],
                            reveal=True, reason="年度核查"))
    assert {r["id_number"] for r in data} <= set(small_city.id_numbers.values())
    assert all(FULL_PHONE.fullmatch(r["phone"]) for r in data)


def test_revealed_export_imports_into_a_fresh_database(small_city: SmallCity, gov: Any,
                                                       tmp_path: Path) -> None:
    """Round-trips units, buildings, households and revealed residents through CSV files."""
    for kind in FIELDS:
        path = tmp_path / f"{kind}.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            export(gov, kind, fh, actor=SYSTEM, fmt="csv", reveal=kind == "residents",
                   reason="migration" if kind == "residents" else None)
    with community_governance.open("memory://", entrypoints=False) as fresh:
        counts = [import_file(fresh, kind, tmp_path / f"{kind}.csv", actor=SYSTEM).count
                  for kind in FIELDS]
        again = fresh.registry.summary(SYSTEM)
    assert counts == [15, 12, 36, 72]  # 1 county, 2 sub-districts, 3 communities, 6 grids, 3 compounds
    assert (again.grids, again.buildings, again.residents) == (6, 12, 72)
