"""Benchmarks of the points ledger (issues #6, #13 and #21).

Prints one JSON object per figure. The headline (issue #21) comes first:

- ``ledger_vs_minimal_write``: ``gov.points.earn`` and ``gov.points.redeem`` (system actor,
  small city) as a share of the **minimal ledger write**: raw ``sqlite3``, WAL, one journal
  INSERT with a unique key + one balance UPDATE per transaction, on the same file system,
  interleaved in chunks of 20 in the same run, at ``synchronous=FULL`` and ``NORMAL`` (aim:
  at least 0.40 at both); with the WAL bytes each transaction appends (what a commit writes,
  index pages included). On PostgreSQL (``--pg URL`` or ``$CGOV_TEST_POSTGRES_URL``, in a
  schema of its own, dropped afterwards) the same against a minimal ledger write through
  psycopg. There the cost is round trips: the minimal write takes 4 (``BEGIN``, two statements,
  ``COMMIT``), earn and redeem 2 since issue #21 item 3's fourth pass (6 before; pipeline mode,
  the ``BEGIN`` riding with the locked look-up, the balance, entry and audit row as one
  statement riding with the ``COMMIT``; see docs/points.md). Figures in CHANGELOG.md and
  docs/points.md (e.g. earn 0.42-0.44 -> 0.50-0.54 of the minimal write, redeem 0.42-0.47 ->
  0.53-0.56, the code before and after alternating against the same server);
- ``ledger_floor``: the ceiling any implementation of the ledger's guarantees could reach:
  raw ``sqlite3`` doing only what they force (the journal row with its idempotency key and
  resident index, the balance row holding the chain head, one audit row with its time and actor
  indexes, both SHA-256 links, one transaction; see ``FLOOR_DDL``) against the minimal write,
  and earn and redeem as a share of it;
- ``ledger_vs_same_sql`` (second figure): earn against raw ``sqlite3`` running the service's
  own SQL and hashes by hand (the same statements, the id from ``lastrowid``, the rows encoded
  with the service's ``entry_text`` and ``audit_text``);
- ``hash_chain_cost`` and ``full_vs_normal`` (issue #13): earn with the hash chain against earn
  with its SHA-256 replaced by a constant, the chain's SQL against the pre-chain SQL, and FULL
  against NORMAL, from the same run.

Then (issue #6):

- ``earn`` / ``redeem`` at ``synchronous=FULL`` and ``NORMAL``: single-entry transactions per
  second through the service layer (system actor and a grid leader) against raw ``sqlite3``
  running the service's SQL, with the same PRAGMAs, on the same file, in interleaved rounds
  (the median round of each is compared, so disk noise hits both alike);
- ``attendance_200``: recording one activity with 200 attendees (one transaction);
- ``four_processes``: 4 processes earning at once, service and raw, with lock errors counted;
- ``participation_report``: the participation report on the demo city (``--demo-db URL`` to
  use a city built by ``cgov demo yima``; otherwise a generated city at ``--scale``).

Run: ``.venv/bin/python benchmarks/bench_points.py [--quick] [--only headline] [--pg URL]
[--demo-db URL] [--scale 0.2]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing as mp
import os
import shutil
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

import community_governance
from community_governance.domain.access import Actor
from community_governance.domain.idnumber import compose_id_number
from community_governance.domain.volunteers import ActivitySpec
from community_governance.services.registry import NewResident
from community_governance.testing.city import build_small_city
from community_governance.testing.pgschema import postgres_schema

SYSTEM = Actor.system("bench")


def emit(**fields: Any) -> None:
    print(json.dumps(fields, ensure_ascii=False), flush=True)


# --- capturing the service's SQL --------------------------------------------------------------


def capture(gov: Any, fn: Any) -> list[str]:
    """The statements SQLite ran while ``fn`` ran (the pool hands the one connection back)."""
    seen: list[str] = []
    with gov.store.unit_of_work(write=False) as uow:
        raw = uow.conn.connection.driver_connection
    raw.set_trace_callback(seen.append)
    try:
        fn()
    finally:
        raw.set_trace_callback(None)
    return seen


def service_statements(gov: Any, rid: str) -> dict[str, list[str]]:
    """The SQL one earn and one redeem send (SQLite's trace shows the expanded statements)."""
    out = {}
    for op, call in (
        ("earn", lambda: gov.points.earn(SYSTEM, rid, 5, key="trace-e")),
        ("redeem", lambda: gov.points.redeem(SYSTEM, rid, 1, key="trace-r")),
    ):
        out[op] = capture(gov, call)
    return out


# --- raw sqlite3 doing the same SQL -----------------------------------------------------------

RES_Q_PRECHAIN = (
    "SELECT residents.erased, residents.vulnerabilities, households.building_code, "
    "buildings.grid_code FROM residents LEFT OUTER JOIN households ON households.id = "
    "residents.household_id LEFT OUTER JOIN buildings ON buildings.code = "
    "households.building_code WHERE residents.id = ?"
)
#: since the hash chain (migration 0007): the balance and chain head ride on the look-up
RES_Q = (
    "SELECT residents.erased, residents.vulnerabilities, households.building_code, "
    "buildings.grid_code, points_balances.balance, points_balances.chain_head FROM residents "
    "LEFT OUTER JOIN households ON households.id = residents.household_id LEFT OUTER JOIN "
    "buildings ON buildings.code = households.building_code LEFT OUTER JOIN points_balances "
    "ON points_balances.resident_id = residents.id WHERE residents.id = ?"
)
NEW_BALANCE = "INSERT INTO points_balances (resident_id, balance, chain_head) VALUES (?, ?, ?)"
SET_BALANCE = "UPDATE points_balances SET balance = ?, chain_head = ? WHERE resident_id = ?"
#: since issue #21 item 3: no RETURNING on SQLite (the cursor's lastrowid is the id)
ENTRY_CHAIN = (
    "INSERT INTO points_entries (resident_id, kind, amount, balance_after, at, day, month, "
    "community_code, idempotency_key, request, reverses_id, activity_id, reason, actor, "
    "chain_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
AUDIT_CHAIN = (
    "INSERT INTO audit_log (at, actor_kind, actor_id, operation, objects, detail, chain, "
    "chain_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
CREDIT = (
    "INSERT INTO points_balances (resident_id, balance) VALUES (?, ?) ON CONFLICT "
    "(resident_id) DO UPDATE SET balance = points_balances.balance + excluded.balance "
    "RETURNING balance"
)
DEBIT = (
    "UPDATE points_balances SET balance = balance - ? WHERE resident_id = ? AND "
    "balance >= ? RETURNING balance"
)
ENTRY = (
    "INSERT INTO points_entries (resident_id, kind, amount, balance_after, at, day, month, "
    "community_code, idempotency_key, request, reverses_id, activity_id, reason, actor) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"
)
AUDIT = (
    "INSERT INTO audit_log (at, actor_kind, actor_id, operation, objects, detail) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)
POSTS = (
    "SELECT posts.id, posts.kind, posts.unit_code, posts.holder_kind, posts.holder_id, "
    'posts.start, posts."end", posts.covers, residents.erased FROM posts LEFT OUTER JOIN '
    "residents ON residents.id = posts.holder_id WHERE posts.holder_id = ?"
)


def raw_connect(path: str, sync: str) -> sqlite3.Connection:
    con = sqlite3.connect(path, isolation_level=None, timeout=30)
    for pragma in (
        "foreign_keys=ON",
        "journal_mode=WAL",
        f"synchronous={sync}",
        "busy_timeout=30000",
    ):
        con.execute(f"PRAGMA {pragma}")
    return con


_AUDIT_HEAD = [""]


def raw_op(con: sqlite3.Connection, rid: str, amount: int, key: str, as_staff: str | None) -> None:
    """One earn (amount > 0) or redeem (amount < 0): the service's statements and hashes, by
    hand (the hash chain's SQL: the balance read with the look-up, one write of balance and
    head, the entry and the audit row with their hashes)."""
    from community_governance.domain.chain import link_text, utc_text
    from community_governance.services.base import audit_text
    from community_governance.services.points import entry_text

    aware = dt.datetime.now(dt.UTC)
    now = aware.replace(tzinfo=None)
    con.execute("BEGIN IMMEDIATE")
    try:
        if as_staff is not None:  # the principal: the actor's posts (a resident's: not erased)
            con.execute(POSTS, (as_staff,)).fetchall()
        row = con.execute(RES_Q, (rid,)).fetchone()
        assert row is not None
        old, head = (0, "") if row[4] is None else (row[4], row[5])
        bal = old + amount
        assert bal >= 0
        kind = "earn" if amount > 0 else "redeem"
        values = (rid, kind, amount, bal, aware, now.date(), now.strftime("%Y-%m"),
                  row[2][:12], key, "0" * 32, None, None, "", "system:bench")
        at_text = utc_text(aware)
        digest = link_text(head, entry_text(values, at_text))
        if row[4] is None:
            con.execute(NEW_BALANCE, (rid, bal, digest))
        else:
            con.execute(SET_BALANCE, (bal, digest, rid))
        at = now.isoformat(sep=" ")
        eid = con.execute(ENTRY_CHAIN, (*values[:4], at, now.date().isoformat(),
                                        *values[6:], digest)).lastrowid
        audit = (aware, "system", "bench", "points.earn", json.dumps([f"points_entry:{eid}"]),
                 json.dumps({}), "bench-stream")
        ahash = link_text(_AUDIT_HEAD[0], audit_text(at_text, *audit[1:]))
        con.execute(AUDIT_CHAIN, (at, *audit[1:], ahash))
        con.execute("COMMIT")
        _AUDIT_HEAD[0] = ahash
    except BaseException:
        con.execute("ROLLBACK")
        raise


def raw_op_prechain(con: sqlite3.Connection, rid: str, amount: int, key: str,
                    as_staff: str | None) -> None:
    """One earn or redeem as the service wrote it before the hash chain (migration 0007)."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    con.execute("BEGIN IMMEDIATE")
    try:
        if as_staff is not None:
            con.execute(POSTS, (as_staff,)).fetchall()
        row = con.execute(RES_Q_PRECHAIN, (rid,)).fetchone()
        assert row is not None
        if amount > 0:
            bal = con.execute(CREDIT, (rid, amount)).fetchone()[0]
        else:
            bal = con.execute(DEBIT, (-amount, rid, -amount)).fetchone()[0]
        at = now.isoformat(sep=" ")
        eid = con.execute(
            ENTRY,
            (
                rid,
                "earn" if amount > 0 else "redeem",
                amount,
                bal,
                at,
                now.date().isoformat(),
                now.strftime("%Y-%m"),
                row[2][:12],
                key,
                "0" * 32,
                None,
                None,
                "",
                "system:bench",
            ),
        ).fetchone()[0]
        con.execute(
            AUDIT,
            (
                at,
                "system",
                "bench",
                "points.earn",
                json.dumps([f"points_entry:{eid}"]),
                json.dumps({}),
            ),
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


# --- the headline: the service against the minimal ledger write (issue #21) ------------------


def minimal_connect(path: Path, sync: str) -> sqlite3.Connection:
    """The minimal ledger: a journal with a unique key and a balance table, WAL."""
    con = raw_connect(str(path), sync)
    con.execute("CREATE TABLE IF NOT EXISTS journal (id INTEGER PRIMARY KEY, "
                "key TEXT NOT NULL UNIQUE, resident TEXT NOT NULL, amount INTEGER NOT NULL)")
    con.execute("CREATE TABLE IF NOT EXISTS balance (resident TEXT PRIMARY KEY, "
                "balance INTEGER NOT NULL)")
    con.executemany("INSERT OR IGNORE INTO balance VALUES (?, 0)",
                    [(f"R{i:04d}",) for i in range(10)])
    return con


def minimal_write(con: sqlite3.Connection, rid: str, amount: int, key: str) -> None:
    """One journal INSERT with a unique key and one balance UPDATE, one transaction."""
    con.execute("BEGIN IMMEDIATE")
    con.execute("INSERT INTO journal (key, resident, amount) VALUES (?, ?, ?)",
                (key, rid, amount))
    con.execute("UPDATE balance SET balance = balance + ? WHERE resident = ?", (amount, rid))
    con.execute("COMMIT")


#: The floor (issue #21 item 3): only what the ledger's guarantees force, by hand. The journal
#: (append-only, checked, an INTEGER PRIMARY KEY in commit order, the idempotency key UNIQUE,
#: the resident indexed for statements), the balance row (checked, holding the resident's chain
#: head), the audit row with the indexes its readers need (time, actor); per entry: read the
#: balance and head, hash the entry onto the resident's chain and the audit row onto the
#: writer's, update the balance, insert both rows, in one transaction.
FLOOR_DDL = (
    "CREATE TABLE IF NOT EXISTS journal (id INTEGER PRIMARY KEY, resident TEXT NOT NULL, "
    "kind TEXT NOT NULL CHECK (kind IN ('earn', 'redeem')), amount INTEGER NOT NULL "
    "CHECK (amount <> 0), balance_after INTEGER NOT NULL CHECK (balance_after >= 0), "
    "at TEXT NOT NULL, key TEXT NOT NULL UNIQUE, request TEXT NOT NULL, hash TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS journal_resident ON journal (resident)",
    "CREATE TRIGGER IF NOT EXISTS journal_no_update BEFORE UPDATE ON journal "
    "BEGIN SELECT RAISE(ABORT, 'append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS journal_no_delete BEFORE DELETE ON journal "
    "BEGIN SELECT RAISE(ABORT, 'append-only'); END",
    "CREATE TABLE IF NOT EXISTS balance (resident TEXT PRIMARY KEY, balance INTEGER NOT NULL "
    "CHECK (balance >= 0), head TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS audit (id INTEGER PRIMARY KEY, at TEXT NOT NULL, actor TEXT "
    "NOT NULL, operation TEXT NOT NULL, objects TEXT NOT NULL, chain TEXT NOT NULL, "
    "hash TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS audit_at ON audit (at)",
    "CREATE INDEX IF NOT EXISTS audit_actor ON audit (actor)",
    "CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit "
    "BEGIN SELECT RAISE(ABORT, 'append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit "
    "BEGIN SELECT RAISE(ABORT, 'append-only'); END",
)


def floor_connect(path: Path, sync: str) -> sqlite3.Connection:
    """The floor's database (see :data:`FLOOR_DDL`), WAL, ten residents."""
    con = raw_connect(str(path), sync)
    for ddl in FLOOR_DDL:
        con.execute(ddl)
    con.executemany("INSERT OR IGNORE INTO balance VALUES (?, 0, '')",
                    [(f"R{i:04d}",) for i in range(10)])
    return con


_FLOOR_HEAD = [""]


def floor_write(con: sqlite3.Connection, rid: str, amount: int, key: str) -> None:
    """One ledger entry doing only what the guarantees force (see :data:`FLOOR_DDL`)."""
    import hashlib

    at = dt.datetime.now(dt.UTC).isoformat()
    con.execute("BEGIN IMMEDIATE")
    try:
        old, head = con.execute("SELECT balance, head FROM balance WHERE resident = ?",
                                (rid,)).fetchone()
        bal = old + amount
        kind = "earn" if amount > 0 else "redeem"
        request = "0" * 32
        digest = hashlib.sha256(
            f"{head}\n{rid}|{kind}|{amount}|{bal}|{at}|{key}|{request}".encode()).hexdigest()
        con.execute("UPDATE balance SET balance = ?, head = ? WHERE resident = ?",
                    (bal, digest, rid))
        eid = con.execute(
            "INSERT INTO journal (resident, kind, amount, balance_after, at, key, request, "
            "hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (rid, kind, amount, bal, at, key, request, digest)).lastrowid
        objects = f'["points_entry:{eid}"]'
        ahash = hashlib.sha256(
            f"{_FLOOR_HEAD[0]}\n{at}|system:bench|points.{kind}|{objects}|floor".encode()
        ).hexdigest()
        con.execute("INSERT INTO audit (at, actor, operation, objects, chain, hash) VALUES "
                    "(?, ?, ?, ?, ?, ?)", (at, "system:bench", f"points.{kind}", objects,
                                           "floor", ahash))
        con.execute("COMMIT")
        _FLOOR_HEAD[0] = ahash
    except BaseException:
        con.execute("ROLLBACK")
        raise


def wal_bytes_per_tx(tmp: Path, name: str, fn: Any, n: int = 200) -> int:
    """Bytes appended to the WAL per transaction of ``fn`` (checkpoints held off meanwhile):
    what a commit writes, index pages included."""
    prefix = next((f"{k}-" for k in ("minimal", "floor") if name.startswith(f"{k}_")), "svc-")
    db = tmp / f"{prefix}{name.rsplit('_', 1)[1]}.db"
    wal_file = Path(f"{db}-wal")
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.execute("BEGIN")  # a reader pins the WAL: no checkpoint restarts it meanwhile
    con.execute("SELECT count(*) FROM sqlite_master").fetchone()
    try:
        before = wal_file.stat().st_size if wal_file.exists() else 0
        for i in range(n):
            fn(-1, i)
        return round((wal_file.stat().st_size - before) / n)
    finally:
        con.execute("COMMIT")
        con.close()


def headline(rounds: int, batch: int) -> None:
    """Earn and redeem against the minimal ledger write at FULL and NORMAL, the cost of FULL
    over NORMAL, and the cost of the hash chain, all interleaved in one run on one disk."""
    import community_governance.services.points as points_module

    tmp = Path(tempfile.mkdtemp(prefix="bench-headline-"))
    fns: dict[str, Any] = {}
    closers: list[Any] = []
    real_link = points_module.link_text
    for sync in ("FULL", "NORMAL"):
        url = f"sqlite:///{tmp / f'svc-{sync}.db'}?synchronous={sync}"
        with community_governance.open(url, entrypoints=False) as g:
            res = build_small_city(g).all_residents()
        # the raw same-SQL runs on its own copy: a second writer on the service's file would
        # invalidate the service connection's page cache at every turn (the minimal write has
        # its own file too)
        shutil.copyfile(tmp / f"svc-{sync}.db", tmp / f"raw-{sync}.db")
        gov = community_governance.open(url, entrypoints=False)
        closers.append(gov.close)
        mcon = minimal_connect(tmp / f"minimal-{sync}.db", sync)
        fcon = floor_connect(tmp / f"floor-{sync}.db", sync)
        rcon = raw_connect(str(tmp / f"raw-{sync}.db"), sync)
        closers += [mcon.close, fcon.close, rcon.close]

        def unchained(r: int, i: int, gov: Any = gov, res: list[str] = res) -> None:
            points_module.link_text = lambda prev, text: "0" * 64  # type: ignore[assignment]
            try:
                gov.points.earn(SYSTEM, res[20 + i % 10], 5, key=f"u{r}-{i}")
            finally:
                points_module.link_text = real_link

        fns.update({
            f"minimal_{sync}": lambda r, i, c=mcon: minimal_write(c, f"R{i % 10:04d}", 5,
                                                                   f"m{r}-{i}"),
            f"floor_{sync}": lambda r, i, c=fcon: floor_write(c, f"R{i % 10:04d}", 5,
                                                               f"f{r}-{i}"),
            f"earn_{sync}": lambda r, i, g=gov, res=res: g.points.earn(
                SYSTEM, res[i % 10], 5, key=f"e{r}-{i}"),
            f"redeem_{sync}": lambda r, i, g=gov, res=res: g.points.redeem(
                SYSTEM, res[i % 10], 2, key=f"d{r}-{i}"),
            f"earn_unchained_{sync}": unchained,
            f"raw_chain_sql_{sync}": lambda r, i, c=rcon, res=res: raw_op(
                c, res[10 + i % 5], 5, f"rc{r}-{i}", None),
            f"raw_prechain_sql_{sync}": lambda r, i, c=rcon, res=res: raw_op_prechain(
                c, res[15 + i % 5], 5, f"rp{r}-{i}", None),
        })
    wal = {name: wal_bytes_per_tx(tmp, name, fn) for name, fn in fns.items()
           if name.startswith(("minimal_", "floor_", "earn_", "redeem_"))
           and "unchained" not in name}
    chunk = 20
    per_round: dict[str, list[float]] = {k: [] for k in fns}
    for r in range(rounds):
        spent = dict.fromkeys(fns, 0.0)
        for c0 in range(0, batch, chunk):  # alternate small chunks: the same disk weather
            for name, fn in fns.items():
                t0 = time.perf_counter()
                for i in range(c0, c0 + chunk):
                    fn(r, i)
                spent[name] += time.perf_counter() - t0
        for name in fns:
            per_round[name].append(batch / spent[name])
    for close in closers:
        close()
    tps = {k: statistics.median(v) for k, v in per_round.items()}

    def ratio(a: str, b: str) -> float:
        return round(statistics.median(x / y for x, y in zip(per_round[a], per_round[b],
                                                             strict=True)), 3)

    for sync in ("FULL", "NORMAL"):
        emit(figure="ledger_vs_minimal_write", backend="sqlite", synchronous=sync,
             what="gov.points.earn/redeem (system actor, small city) against the minimal "
                  "ledger write: raw sqlite3, journal INSERT with a unique key + balance "
                  "UPDATE, WAL, same file system, interleaved in the same run",
             minimal_tx_per_s=round(tps[f"minimal_{sync}"]),
             earn_tx_per_s=round(tps[f"earn_{sync}"]),
             redeem_tx_per_s=round(tps[f"redeem_{sync}"]),
             earn_share_of_minimal=ratio(f"earn_{sync}", f"minimal_{sync}"),
             redeem_share_of_minimal=ratio(f"redeem_{sync}", f"minimal_{sync}"),
             aim=0.40, rounds=rounds, per_round=batch,
             wal_bytes_per_tx={k: wal[k] for k in (f"minimal_{sync}", f"earn_{sync}",
                                                   f"redeem_{sync}")})
        emit(figure="ledger_floor", backend="sqlite", synchronous=sync,
             what="the ceiling of any implementation of the ledger's guarantees: raw sqlite3 "
                  "doing only what they force (journal INSERT with the idempotency key and "
                  "the resident index, checks and append-only triggers; balance read and "
                  "UPDATE holding the chain head; one audit row with its time and actor "
                  "indexes; both SHA-256 links; one transaction) against the minimal ledger "
                  "write, same file system, interleaved in the same run",
             minimal_tx_per_s=round(tps[f"minimal_{sync}"]),
             floor_tx_per_s=round(tps[f"floor_{sync}"]),
             floor_share_of_minimal=ratio(f"floor_{sync}", f"minimal_{sync}"),
             earn_share_of_floor=ratio(f"earn_{sync}", f"floor_{sync}"),
             redeem_share_of_floor=ratio(f"redeem_{sync}", f"floor_{sync}"),
             wal_bytes_per_tx={k: wal[k] for k in (f"minimal_{sync}", f"floor_{sync}")})
        emit(figure="ledger_vs_same_sql", backend="sqlite", synchronous=sync,
             what="second figure: gov.points.earn against raw sqlite3 running the service's "
                  "own SQL and hashes (raw_op), same file, same run",
             earn_tx_per_s=round(tps[f"earn_{sync}"]),
             same_sql_tx_per_s=round(tps[f"raw_chain_sql_{sync}"]),
             earn_share_of_same_sql=ratio(f"earn_{sync}", f"raw_chain_sql_{sync}"))
        emit(figure="hash_chain_cost", synchronous=sync,
             what="earn with the hash chain against the same service with the chain's SHA-256 "
                  "replaced by a constant; and the chain's SQL against the pre-chain SQL, both "
                  "through raw sqlite3",
             earn_chained_tx_per_s=round(tps[f"earn_{sync}"]),
             earn_unchained_tx_per_s=round(tps[f"earn_unchained_{sync}"]),
             chained_share=ratio(f"earn_{sync}", f"earn_unchained_{sync}"),
             raw_chain_sql_tx_per_s=round(tps[f"raw_chain_sql_{sync}"]),
             raw_prechain_sql_tx_per_s=round(tps[f"raw_prechain_sql_{sync}"]),
             raw_chain_share=ratio(f"raw_chain_sql_{sync}", f"raw_prechain_sql_{sync}"))
    emit(figure="full_vs_normal",
         what="the cost of synchronous=FULL (the default) over NORMAL on the points hot path",
         earn_full=round(tps["earn_FULL"]), earn_normal=round(tps["earn_NORMAL"]),
         earn_full_share=ratio("earn_FULL", "earn_NORMAL"),
         redeem_full_share=ratio("redeem_FULL", "redeem_NORMAL"),
         minimal_full=round(tps["minimal_FULL"]), minimal_normal=round(tps["minimal_NORMAL"]),
         minimal_full_share=ratio("minimal_FULL", "minimal_NORMAL"))


# --- the same on PostgreSQL: against a minimal ledger write through psycopg -----------------


def pg_minimal_connect(url: str) -> Any:
    """The minimal ledger on PostgreSQL: a journal with a unique key and a balance table."""
    import psycopg

    con = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://", 1))
    con.execute("CREATE TABLE IF NOT EXISTS journal (id bigserial PRIMARY KEY, key text NOT "
                "NULL UNIQUE, resident text NOT NULL, amount integer NOT NULL)")
    con.execute("CREATE TABLE IF NOT EXISTS balance (resident text PRIMARY KEY, balance "
                "integer NOT NULL)")
    with con.cursor() as cur:
        cur.executemany("INSERT INTO balance VALUES (%s, 0) ON CONFLICT DO NOTHING",
                        [(f"R{i:04d}",) for i in range(10)])
    con.commit()
    return con


def pg_minimal_write(con: Any, rid: str, amount: int, key: str) -> None:
    """One journal INSERT with a unique key and one balance UPDATE, one transaction."""
    con.execute("INSERT INTO journal (key, resident, amount) VALUES (%s, %s, %s)",
                (key, rid, amount))
    con.execute("UPDATE balance SET balance = balance + %s WHERE resident = %s", (amount, rid))
    con.commit()


def headline_pg(url: str, rounds: int, batch: int) -> None:
    """Earn and redeem on PostgreSQL against the minimal ledger write through psycopg,
    interleaved in one run against one server."""
    with postgres_schema(url) as surl:
        with community_governance.open(surl, entrypoints=False) as g:
            res = build_small_city(g).all_residents()
        gov = community_governance.open(surl, entrypoints=False)
        mcon = pg_minimal_connect(surl)
        fns = {
            "minimal": lambda r, i: pg_minimal_write(mcon, f"R{i % 10:04d}", 5, f"m{r}-{i}"),
            "earn": lambda r, i: gov.points.earn(SYSTEM, res[i % 10], 5, key=f"e{r}-{i}"),
            "redeem": lambda r, i: gov.points.redeem(SYSTEM, res[i % 10], 2, key=f"d{r}-{i}"),
        }
        per_round: dict[str, list[float]] = {k: [] for k in fns}
        for r in range(rounds):
            spent = dict.fromkeys(fns, 0.0)
            for c0 in range(0, batch, 20):
                for name, fn in fns.items():
                    t0 = time.perf_counter()
                    for i in range(c0, c0 + 20):
                        fn(r, i)
                    spent[name] += time.perf_counter() - t0
            for name in fns:
                per_round[name].append(batch / spent[name])
        assert gov.points.check(SYSTEM) == []
        gov.close()
        mcon.close()

    def ratio(a: str) -> float:
        return round(statistics.median(x / y for x, y in zip(per_round[a], per_round["minimal"],
                                                             strict=True)), 3)

    emit(figure="ledger_vs_minimal_write", backend="postgresql",
         what="gov.points.earn/redeem (system actor, small city) against the minimal ledger "
              "write through psycopg (journal INSERT with a unique key + balance UPDATE, one "
              "transaction), same server, interleaved in the same run",
         minimal_tx_per_s=round(statistics.median(per_round["minimal"])),
         earn_tx_per_s=round(statistics.median(per_round["earn"])),
         redeem_tx_per_s=round(statistics.median(per_round["redeem"])),
         earn_share_of_minimal=ratio("earn"), redeem_share_of_minimal=ratio("redeem"),
         aim=0.40, rounds=rounds, per_round=batch)


# --- the single-writer benchmark --------------------------------------------------------------


def single_writer(sync: str, rounds: int, batch: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-points-"))
    path = tmp / "ledger.db"
    url = f"sqlite:///{path}?synchronous={sync}"
    with community_governance.open(url, entrypoints=False) as gov:
        city = build_small_city(gov)
    residents = city.all_residents()
    svc_res, raw_res = residents[:10], residents[10:20]
    c0 = city.communities[0]
    grid = city.grids[c0][0]
    leader = city.grid_leader[grid]
    in_grid = [  # the four-eyes rule: never the leader's own household
        r
        for b in city.buildings[c0]
        if city.grid_of_building(b) == grid
        for h in city.households[b]
        if leader.id not in city.residents[h]
        for r in city.residents[h]
    ]
    gov = community_governance.open(url, entrypoints=False)
    con = raw_connect(str(path), sync)
    stmts = service_statements(gov, svc_res[0])
    staff_sql = capture(gov, lambda: gov.points.earn(leader, in_grid[0], 1, key="trace-l"))
    emit(
        figure="service_sql",
        synchronous=sync,
        earn=stmts["earn"],
        redeem=stmts["redeem"],
        earn_as_grid_leader=staff_sql,
    )
    ops = {
        "earn": (
            lambda r, i: gov.points.earn(SYSTEM, svc_res[i % 10], 5, key=f"se{r}-{i}"),
            lambda r, i: raw_op(con, raw_res[i % 10], 5, f"re{r}-{i}", None),
        ),
        "redeem": (
            lambda r, i: gov.points.redeem(SYSTEM, svc_res[i % 10], 2, key=f"sr{r}-{i}"),
            lambda r, i: raw_op(con, raw_res[i % 10], -2, f"rr{r}-{i}", None),
        ),
        "earn_staff": (
            lambda r, i: gov.points.earn(leader, in_grid[i % len(in_grid)], 1, key=f"sl{r}-{i}"),
            lambda r, i: raw_op(con, in_grid[i % len(in_grid)], 1, f"rl{r}-{i}", leader.id),
        ),
    }
    chunk = 20
    results: dict[str, dict[str, Any]] = {}
    for op, (svc_fn, raw_fn) in ops.items():
        ratios, svc_t, raw_t = [], 0.0, 0.0
        for r in range(rounds):
            ts = tr = 0.0
            for c0 in range(0, batch, chunk):  # alternate small chunks: same disk weather
                t0 = time.perf_counter()
                for i in range(c0, c0 + chunk):
                    svc_fn(r, i)
                t1 = time.perf_counter()
                for i in range(c0, c0 + chunk):
                    raw_fn(r, i)
                t2 = time.perf_counter()
                ts += t1 - t0
                tr += t2 - t1
            ratios.append(tr / ts)
            svc_t += ts
            raw_t += tr
        n = rounds * batch
        results[op] = {"service": n / svc_t, "raw": n / raw_t, "ratio": statistics.median(ratios)}
    assert gov.points.check(SYSTEM) == []
    gov.close()
    con.close()
    aim = {"FULL": 0.50, "NORMAL": 0.35}[sync]
    labels = {"earn": "earn", "redeem": "redeem", "earn_staff": "earn as a grid leader"}
    for op, res in results.items():
        emit(
            figure=f"{op}_tx_per_s",
            synchronous=sync,
            what=f"one {labels[op]} per transaction",
            service=round(res["service"]),
            raw_sqlite3=round(res["raw"]),
            ratio=round(res["ratio"], 3),
            aim=aim,
            rounds=rounds,
            per_round=batch,
            note="ratio: median over rounds of service/raw, alternating chunks of 20",
        )


# --- 200 attendees ----------------------------------------------------------------------------


def attendance(repeats: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-points-"))
    with community_governance.open(f"sqlite:///{tmp / 'a.db'}", entrypoints=False) as gov:
        city = build_small_city(gov)
        households = [h for hs in city.households.values() for h in hs]
        news = [
            NewResident(
                name=f"志愿者{i}",
                id_number=compose_id_number(
                    "411281", dt.date(1960 + i % 40, 1 + i % 12, 1 + i % 28), 500 + i % 499
                ),
                household_id=households[i % len(households)],
                id=f"V{i:05d}",
            )
            for i in range(200 * repeats)
        ]
        gov.registry.register_residents(SYSTEM, news)
        from community_governance.services.volunteers import NewVolunteer

        gov.volunteers.register_many(SYSTEM, [NewVolunteer(n.id or "") for n in news])
        c = city.communities[0]
        start = dt.datetime(2026, 3, 7, 1, tzinfo=dt.UTC)
        times = []
        for k in range(repeats):
            act = gov.volunteers.create_activity(
                SYSTEM,
                ActivitySpec(
                    "创文志愿服务",
                    c,
                    "civilised_city",
                    "广场",
                    start,
                    start + dt.timedelta(hours=2),
                    250,
                ),
            )
            ids = [f"V{i:05d}" for i in range(200 * k, 200 * (k + 1))]
            t0 = time.perf_counter()
            res = gov.volunteers.record_attendance(SYSTEM, act.id, ids)
            times.append(time.perf_counter() - t0)
            assert len(res.recorded) == 200
        assert gov.points.check(SYSTEM) == []
    med = statistics.median(times)
    emit(
        figure="attendance_200",
        what="record one activity with 200 attendees (one transaction)",
        seconds=round(med, 4),
        attendees_per_s=round(200 / med),
        repeats=repeats,
    )


# --- four processes ---------------------------------------------------------------------------


def _svc_worker(url: str, residents: list[str], n: int, w: int) -> tuple[int, int, float]:
    errors = 0
    with community_governance.open(url, entrypoints=False) as gov:
        t0 = time.perf_counter()
        for i in range(n):
            try:
                gov.points.earn(SYSTEM, residents[i % len(residents)], 3, key=f"p{w}-{i}")
            except sa.exc.OperationalError:
                errors += 1
        return n - errors, errors, time.perf_counter() - t0


def _raw_worker(
    path: str, sync: str, residents: list[str], n: int, w: int
) -> tuple[int, int, float]:
    con = raw_connect(path, sync)
    errors = 0
    t0 = time.perf_counter()
    for i in range(n):
        try:
            raw_op(con, residents[i % len(residents)], 3, f"q{w}-{i}", None)
        except sqlite3.OperationalError:
            errors += 1
    return n - errors, errors, time.perf_counter() - t0


def four_processes(n: int, sync: str = "NORMAL") -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-points-"))
    path = tmp / "mp.db"
    url = f"sqlite:///{path}?synchronous={sync}"
    with community_governance.open(url, entrypoints=False) as gov:
        residents = build_small_city(gov).all_residents()
    ctx = mp.get_context("spawn")
    out = {}
    for label, fn, args in (
        ("service", _svc_worker, [(url, residents[w::4], n, w) for w in range(4)]),
        ("raw_sqlite3", _raw_worker, [(str(path), sync, residents[w::4], n, w) for w in range(4)]),
    ):
        with ctx.Pool(4) as pool:
            t0 = time.perf_counter()
            res = pool.starmap(fn, args)
            wall = time.perf_counter() - t0
        ok = sum(r[0] for r in res)
        span = max(r[2] for r in res)
        out[label] = {
            "tx_per_s": round(ok / span),
            "lock_errors": sum(r[1] for r in res),
            "wall_s": round(wall, 2),
        }
    with community_governance.open(url, entrypoints=False) as gov:
        assert gov.points.check(SYSTEM) == []
    emit(
        figure="four_processes",
        synchronous=sync,
        what="4 processes earning at once",
        per_process=n,
        service=out["service"],
        raw_sqlite3=out["raw_sqlite3"],
        ratio=round(out["service"]["tx_per_s"] / out["raw_sqlite3"]["tx_per_s"], 3),
    )


# --- participation report on the demo city ----------------------------------------------------


def participation(demo_db: str | None, scale: float) -> None:
    generated = demo_db is None
    if demo_db is None:
        from community_governance.demo import load_city
        from community_governance.demo.volunteering import seed_volunteering
        from community_governance.simulation.city import generate_yima

        tmp = Path(tempfile.mkdtemp(prefix="bench-points-"))
        demo_db = f"sqlite:///{tmp / 'yima.db'}"
        with community_governance.open(demo_db, entrypoints=False) as gov:
            city = generate_yima(2019, scale=scale)
            load_city(gov, city, optional=False)
            t0 = time.perf_counter()
            seed_volunteering(gov, seed=2019)
            emit(
                figure="seed_volunteering", scale=scale, seconds=round(time.perf_counter() - t0, 2)
            )
    key_file = os.environ.get("CGOV_KEY_FILE")  # the demo's key (yima.key), when sealed
    key = Path(key_file).read_text(encoding="ascii").strip() if key_file else None
    with community_governance.open(demo_db, entrypoints=False, data_key=key,
                                   create=False) as gov:
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            rep = gov.volunteers.participation(SYSTEM)
            times.append(time.perf_counter() - t0)
    emit(
        figure="participation_report",
        demo_db=demo_db,
        scale=scale if generated else None,
        seconds=round(statistics.median(times), 3),
        rows=len(rep.months),
        residents=rep.totals["residents"],
        volunteer_orgs=rep.totals["volunteer_orgs"],
        org_members=rep.totals["org_members"],
        share_ever_active=rep.totals["share_ever_active"],
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer rounds")
    ap.add_argument("--demo-db", help="a database built by `cgov demo yima` (its key from "
                    "CGOV_KEY_FILE, e.g. yima.key)")
    ap.add_argument(
        "--scale", type=float, default=0.25, help="city scale when no --demo-db is given"
    )
    ap.add_argument("--only", help="comma-separated: "
                    "headline,single,attendance,processes,report")
    ap.add_argument("--pg", help="a PostgreSQL URL for the PostgreSQL headline (default: "
                    "$CGOV_TEST_POSTGRES_URL; none: SQLite only)")
    args = ap.parse_args()
    only = (
        set(args.only.split(",")) if args.only
        else {"headline", "single", "attendance", "processes", "report"}
    )
    rounds, batch = (5, 200) if args.quick else (9, 400)
    if "headline" in only:
        headline(3 if args.quick else 7, 100 if args.quick else 300)
        pg = args.pg or os.environ.get("CGOV_TEST_POSTGRES_URL")
        if pg:
            headline_pg(pg, 3 if args.quick else 5, 100 if args.quick else 200)
    if "single" in only:
        for sync in ("FULL", "NORMAL"):
            single_writer(sync, rounds, batch)
    if "attendance" in only:
        attendance(3 if args.quick else 5)
    if "processes" in only:
        four_processes(500 if args.quick else 2000)
    if "report" in only:
        participation(args.demo_db, args.scale)


if __name__ == "__main__":
    main()
