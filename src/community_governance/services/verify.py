"""Verify the ledgers (账实核对与哈希链校验): read-only, for system jobs and ``cgov verify``.

One read transaction recomputes what the stored rows must say and compares:

- every points balance and its ``balance_after`` trail from the points journal, every
  supermarket item's stock from its stock moves (the checks of ``gov.points.check``);
- every funds transaction balances (its postings sum to zero; the books' balances are derived
  from the postings, so no stored balance can disagree with them);
- every case's transitions run ``seq`` 1, 2, … and end where the case row says;
- every hash chain: each resident's points entries (head in ``points_balances.chain_head``),
  each community's funds transactions with their postings (head in
  ``funds_locks.chain_head``), each case's transitions (head in ``cases.chain_head``), each
  writer stream of the audit trail.

Rows written before the chains existed (migration 0007) carry no hash; they are counted as
``unchained`` and a chain starts after them. A row without a hash *after* the first hashed
row of its table is a break: nobody can hide a change by blanking a hash.

The first break of each chain is reported with its table, row and what differs; the report
is ``ok`` only when there is none.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

import attrs
import sqlalchemy as sa

from community_governance.domain.chain import ChainBreak, first_break
from community_governance.services.base import AUDIT_CHAIN_COLUMNS, Operation
from community_governance.services.cases.common import CASE_CHAIN_COLUMNS
from community_governance.services.funds.common import FUNDS_CHAIN_COLUMNS, funds_chain_fields
from community_governance.storage.tables import cases as ct
from community_governance.storage.tables import core as t
from community_governance.storage.tables import funds as f
from community_governance.storage.tables import points as tp

__all__ = ["VerifyReport", "verify_ledgers"]

_TABLE_OF_CHECK = {
    "check_balances_equal_journal": "points_balances",
    "check_running_balances": "points_entries",
    "check_entry_signs": "points_entries",
    "check_unique_keys": "points_entries",
    "check_reversals": "points_entries",
    "check_stock_equals_moves": "supermarket_items",
    "check_stock_never_negative": "stock_moves",
    "check_redemption_links": "redemptions",
}


@attrs.frozen
class VerifyReport:
    """What ``cgov verify`` found (核对结果).

    Attributes:
        breaks: the first break of every broken chain and every failed recomputation, as
            (table, row, chain, what differs).
        rows: rows checked per table.
        chains: chains walked per table.
        unchained: rows written before the chains existed, per table.
        heads: the head of every chain (``points:<resident>``, ``funds:<community>``,
            ``case:<case>``, ``audit:<stream>``), to keep outside the database as an anchor:
            a chain can only show changes up to the last head someone kept.
    """

    breaks: tuple[ChainBreak, ...]
    rows: Mapping[str, int]
    chains: Mapping[str, int]
    unchained: Mapping[str, int]
    heads: Mapping[str, str] = attrs.field(factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        """No break anywhere."""
        return not self.breaks

    @property
    def first(self) -> ChainBreak | None:
        """The first break found, or ``None``."""
        return self.breaks[0] if self.breaks else None

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"ok": self.ok,
                "breaks": [{"table": b.table, "row": b.row_id, "chain": b.chain,
                            "detail": b.detail} for b in self.breaks],
                "rows": dict(self.rows), "chains": dict(self.chains),
                "unchained": dict(self.unchained)}


class _Walk:
    """Collects the rows of one table's chains, in order, and walks them."""

    def __init__(self, table: str) -> None:
        self.table = table
        self.chains: dict[str, list[tuple[object, str | None, Mapping[str, Any]]]] = (
            defaultdict(list))
        self.rows = 0
        self.unchained = 0
        self.breaks: list[ChainBreak] = []
        self._hashed_from: object = None

    def add(self, chain: str | None, row_id: Any, stored: str | None,
            fields: Mapping[str, Any]) -> None:
        self.rows += 1
        if stored is None and self._hashed_from is None:
            self.unchained += 1  # written before migration 0007
            return
        if self._hashed_from is None:
            self._hashed_from = row_id
        if chain is None:
            self.breaks.append(ChainBreak(self.table, row_id, "(none)",
                                          "the row names no chain but rows before it do"))
            return
        self.chains[chain].append((row_id, stored, fields))

    def walk(self, heads: Mapping[str, str] | None = None) -> list[ChainBreak]:
        out = list(self.breaks)
        for chain in sorted(self.chains):
            got = first_break(self.table, chain, self.chains[chain],
                              None if heads is None else heads.get(chain, ""))
            if got is not None:
                out.append(got)
        if heads is not None:  # a head with no journal rows at all
            for chain in sorted(set(heads) - set(self.chains)):
                if heads[chain] and self.unchained == 0:
                    out.append(ChainBreak(self.table, None, chain,
                                          f"the stored chain head {heads[chain][:12]}… has no "
                                          "journal rows (rows were removed)"))
        return out


def _rows(conn: sa.Connection, q: sa.Select[Any]) -> Iterable[Any]:
    return conn.execute(q, execution_options={"yield_per": 5000})  # this statement's only


def verify_ledgers(op: Operation) -> VerifyReport:
    """Recompute and check everything (see the module's doc) in ``op``'s read transaction."""
    from community_governance.services.points import (
        CHAIN_COLUMNS,
        PointsService,
    )

    conn = op.uow.conn
    breaks: list[ChainBreak] = []
    rows: dict[str, int] = {}
    chains: dict[str, int] = {}
    unchained: dict[str, int] = {}
    heads: dict[str, str] = {}

    def done(walk: _Walk, stored_heads: Mapping[str, str] | None, prefix: str) -> None:
        breaks.extend(walk.walk(stored_heads))
        rows[walk.table] = walk.rows
        chains[walk.table] = len(walk.chains)
        unchained[walk.table] = walk.unchained
        for chain, items in walk.chains.items():
            if items and items[-1][1] is not None:
                heads[f"{prefix}:{chain}"] = str(items[-1][1])

    # --- points: balances and stock recomputed, then each resident's chain
    for v in PointsService.violations(conn):
        breaks.append(ChainBreak(_TABLE_OF_CHECK.get(v.check, "points_entries"), v.subject,
                                 "-", f"{v.message} ({v.check})"))
    pe = tp.points_entries
    walk = _Walk("points_entries")
    for r in _rows(conn, sa.select(pe).order_by(pe.c.id)):
        m = r._mapping
        walk.add(r.resident_id, r.id, r.chain_hash, {c: m[c] for c in CHAIN_COLUMNS})
    pb = tp.points_balances
    done(walk, {r[0]: r[1] for r in conn.execute(sa.select(pb.c.resident_id,
                                                           pb.c.chain_head))}, "points")

    # --- funds: each transaction balances; each community's chain
    fp, ft = f.funds_postings, f.funds_transactions
    postings: dict[int, list[tuple[int, str, int]]] = defaultdict(list)
    for r in _rows(conn, sa.select(fp.c.transaction_id, fp.c.line, fp.c.account,
                                   fp.c.amount_fen)):
        postings[r[0]].append((int(r[1]), r[2], int(r[3])))
    walk = _Walk("funds_transactions")
    for r in _rows(conn, sa.select(ft).order_by(ft.c.id)):
        m = r._mapping
        lines = postings.get(r.id, [])
        total = sum(x[2] for x in lines)
        if total != 0 or not lines:
            breaks.append(ChainBreak("funds_postings", r.id, r.community_code,
                                     f"transaction {r.id}'s postings sum to {total} fen "
                                     f"over {len(lines)} lines; a transaction balances to 0"))
        walk.add(r.community_code, r.id, r.chain_hash,
                 funds_chain_fields({c: m[c] for c in FUNDS_CHAIN_COLUMNS}, lines))
    fl = f.funds_locks
    done(walk, {r[0]: r[1] for r in conn.execute(sa.select(fl.c.community_code,
                                                           fl.c.chain_head))}, "funds")

    # --- cases: each case's transitions run 1, 2, ... and end where the case says
    tr = ct.case_transitions
    walk = _Walk("case_transitions")
    last: dict[str, tuple[int, str, Any]] = {}
    for r in _rows(conn, sa.select(tr).order_by(tr.c.id)):
        m = r._mapping
        seq_before = last.get(r.case_id, (0, "", None))[0]
        if r.seq != seq_before + 1:
            breaks.append(ChainBreak("case_transitions", r.id, r.case_id,
                                     f"step {r.seq} follows step {seq_before}"))
        last[r.case_id] = (r.seq, r.to_status, r.id)
        walk.add(r.case_id, r.id, r.chain_hash, {c: m[c] for c in CASE_CHAIN_COLUMNS})
    case_heads: dict[str, str] = {}
    for cid, seq, status, head in conn.execute(sa.select(
            ct.cases.c.id, ct.cases.c.seq, ct.cases.c.status, ct.cases.c.chain_head)):
        case_heads[cid] = head
        got = last.get(cid)
        if got is None or got[0] != seq or got[1] != status:
            breaks.append(ChainBreak(
                "cases", cid, cid, f"the case says step {seq} ({status}) but its journal ends "
                f"at {'no step' if got is None else f'step {got[0]} ({got[1]})'}"))
    done(walk, case_heads, "case")

    # --- the audit trail: each writer stream
    al = t.audit_log
    walk = _Walk("audit_log")
    for r in _rows(conn, sa.select(al).order_by(al.c.id)):
        m = r._mapping
        walk.add(r.chain, r.id, r.chain_hash, {c: m[c] for c in AUDIT_CHAIN_COLUMNS})
    done(walk, None, "audit")
    return VerifyReport(tuple(breaks), rows, chains, unchained, heads)
