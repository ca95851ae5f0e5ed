"""The demo's year of cases (seed_cases) and ``cgov demo yima --timings``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from click.testing import CliRunner

import community_governance
from community_governance.cli import _load, cli
from community_governance.demo import load_city
from community_governance.demo.cases import seed_cases
from community_governance.domain.access import Actor
from community_governance.simulation.city import generate_yima
from community_governance.storage.tables import core as t
from community_governance.storage.tables.cases import case_transitions, cases

_load()


def _seeded(path: Path) -> tuple[Any, list[Any], list[Any], int]:
    with community_governance.open(f"sqlite:///{path}", entrypoints=False) as gov:
        load_city(gov, generate_yima(5, scale=0.02), optional=False)
        gov.grids.draw(Actor.system("demo"))
        summary = seed_cases(gov, year=2019, seed=5, batch=100)
        with gov.store.unit_of_work(write=False) as uow:
            rows = [tuple(r) for r in uow.conn.execute(sa.select(cases).order_by(cases.c.id))]
            steps = [tuple(r)[1:] for r in uow.conn.execute(sa.select(case_transitions).order_by(
                case_transitions.c.case_id, case_transitions.c.seq))]
            audits = uow.conn.execute(sa.select(sa.func.count()).select_from(t.audit_log).where(
                t.audit_log.c.operation == "cases.import_history")).scalar_one()
    return summary, rows, steps, int(audits)


def test_seed_cases_is_reproducible_and_written_in_audited_batches(tmp_path: Path) -> None:
    """Writes the same cases and journal for the same seed, as many cases as it reports,
    each batch audited once, every case's journal numbered 1, 2, 3..."""
    summary, rows, steps, audits = _seeded(tmp_path / "a.db")
    again = _seeded(tmp_path / "b.db")
    assert summary.cases > 0 and len(rows) == summary.cases
    assert (rows, steps) == (again[1], again[2])
    assert audits == -(-summary.cases // 100)
    assert sum(1 for s in steps if s[2] == "escalate") == summary.escalated
    seqs: dict[str, list[int]] = {}
    for s in steps:
        seqs.setdefault(s[0], []).append(s[1])
    assert all(v == list(range(1, len(v) + 1)) for v in seqs.values())


def test_demo_prints_timings() -> None:
    """Prints a table of seconds per step, the total and the load average with --timings."""
    result = CliRunner().invoke(cli, ["demo", "yima", "--db", "memory://", "--scale", "0.01",
                                      "--registry-only", "--timings"],
                                catch_exceptions=False)
    assert result.exit_code == 0
    lines = result.stderr.splitlines()
    table = {ln.split()[0]: ln for ln in lines if ln and ln.split()[-1].replace(".", "").isdigit()}
    for step in ("generating", "residents", "total"):
        assert step in table
    assert float(table["total"].split()[-1]) >= float(table["residents"].split()[-1])
    assert any(ln.startswith("load average:") for ln in lines)
