"""The ledger's behaviour on each real backend (SQLite file, PostgreSQL): the hot path sends
its own SQL to the driver, so each dialect is exercised end to end."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pendulum
import pytest
import sqlalchemy as sa

import community_governance
from community_governance.domain.access import Actor
from community_governance.domain.volunteers import ActivitySpec
from community_governance.errors import (
    IdempotencyConflict,
    InsufficientBalance,
    NotFound,
    OutOfStock,
    PluginError,
    ValidationError,
)
from community_governance.markers import hookimpl
from community_governance.services.charity import LotSpec
from community_governance.testing.city import build_small_city

SYSTEM = Actor.system("test")


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'b.db'}?synchronous=FULL"
    return str(request.getfixturevalue("postgres_url"))


class MinusFive:
    @hookimpl
    def cgov_points_standard(self, category: str, minutes: int, community_code: str) -> int:
        return -5 if category == "broken" else 10


def test_ledger_end_to_end(url: str) -> None:
    """Earns, replays, refuses overdrafts and empty shelves, reverses and checks on the
    backend."""
    with community_governance.open(url, [MinusFive()], entrypoints=False) as gov:
        city = build_small_city(gov)
        c = city.communities[0]
        a, b = city.all_residents()[:2]
        leader = city.grid_leader[city.grids[c][0]]
        e = gov.points.earn(leader, a, 40, key="e1", reason="扫雪")
        assert gov.points.earn(leader, a, 40, key="e1", reason="扫雪") == e
        assert e.at.tzinfo is not None and e.day == gov.points.entry(SYSTEM, e.id).day
        with pytest.raises(IdempotencyConflict):
            gov.points.earn(leader, a, 41, key="e1")
        with pytest.raises(NotFound):
            gov.points.earn(SYSTEM, "R9999", 5, key="e2")
        with pytest.raises(ValidationError):
            gov.points.earn(SYSTEM, a, -5, key="e3")
        with pytest.raises(InsufficientBalance):
            gov.points.redeem(SYSTEM, b, 1, key="r0")
        item = gov.supermarket.add_item(SYSTEM, c, "食用油", 15, stock=2)
        red = gov.supermarket.redeem(Actor.resident(a), a, item.id, 2, key="r1")
        assert gov.supermarket.redeem(Actor.resident(a), a, item.id, 2, key="r1") == red
        with pytest.raises(OutOfStock):
            gov.supermarket.redeem(Actor.resident(a), a, item.id, 1, key="r2")
        gov.points.reverse(SYSTEM, red.entry.id, key="rev", reason="退货")
        assert gov.supermarket.get_item(item.id).stock == 2
        assert gov.points.balance(SYSTEM, a) == 40
        gov.volunteers.register(SYSTEM, a)
        start = dt.datetime(2026, 3, 7, 1, tzinfo=dt.UTC)
        act = gov.volunteers.create_activity(SYSTEM, ActivitySpec(
            "x", c, "broken", "y", start, start + dt.timedelta(hours=1), 5))
        with pytest.raises(PluginError):
            gov.volunteers.record_attendance(SYSTEM, act.id, [a])
        ok = gov.volunteers.create_activity(SYSTEM, ActivitySpec(
            "x", c, "culture", "y", start, start + dt.timedelta(hours=1), 5))
        assert gov.volunteers.record_attendance(SYSTEM, ok.id, [a]).points == 10
        d = gov.charity.receive(SYSTEM, c, donor="匿名", category="clothes", condition="new",
                                quantity=2, estimated_value=Decimal("80.00"))
        lot = gov.charity.sort(SYSTEM, d.id, [LotSpec("棉衣", 2)])[0]
        g = gov.charity.give_out(SYSTEM, lot.id, city.elderly[c], 1, key="g1")
        assert gov.charity.give_out(SYSTEM, lot.id, city.elderly[c], 1, key="g1") == g
        assert gov.points.statement(SYSTEM, a).closing == 50
        assert gov.points.check(SYSTEM) == []
        rows: list[dict[str, Any]] = gov.points.report(SYSTEM)
        assert sum(r["issued"] for r in rows) == 50


def test_fast_principal_matches_the_base_service(url: str) -> None:
    """Resolves every actor of the test city to the same principal as Service._principal,
    including a grid leader whose resident record was erased."""
    import pendulum
    import sqlalchemy as sa

    from community_governance.services.points import fast_principal, fast_sql

    with community_governance.open(url, entrypoints=False) as gov:
        city = build_small_city(gov)
        svc = gov.points
        actors = [SYSTEM, Actor.public(), Actor.resident("R0001"), Actor.staff("NOBODY"),
                  city.county_admin, *city.secretary.values(), *city.staff.values(),
                  *city.grid_leader.values(), *city.building_leader.values(),
                  *city.cadre.values(), *city.subdistrict_staff.values()]
        erased = next(iter(city.grid_leader.values())).id
        now = pendulum.now("UTC")
        for step in ("before", "after"):
            with gov.store.unit_of_work(write=False) as uow:
                fast = fast_sql(uow.conn)
                assert fast is not None
                for actor in actors:
                    assert fast_principal(svc, uow, fast, actor, now) == svc._principal(
                        uow, actor, now), (step, actor)
            with gov.store.engine.begin() as conn:
                conn.execute(sa.text("UPDATE residents SET erased = :t WHERE id = :r"),
                             {"t": True, "r": erased})
        with gov.store.unit_of_work(write=False) as uow:
            fast = fast_sql(uow.conn)
            assert fast is not None
            assert fast_principal(svc, uow, fast, Actor.staff(erased), now).posts == ()


def test_verify_names_a_raw_balance_update_and_a_forged_entry(url: str) -> None:
    """On each backend: verify passes, then names a raw UPDATE of a balance, then (the
    append-only trigger dropped) a forged journal row by its id."""
    import sqlalchemy as sa

    with community_governance.open(url, entrypoints=False) as gov:
        city = build_small_city(gov)
        a, b = city.all_residents()[:2]
        c = city.communities[0]
        gov.points.earn(SYSTEM, a, 30, key="v1")
        forged = gov.points.earn(city.secretary[c], b, 20, key="v2")
        gov.points.redeem(SYSTEM, a, 10, key="v3")
        assert gov.verify().ok
        engine: Any = gov.store.engine
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE points_balances SET balance = 500 WHERE resident_id "
                                 "= :r"), {"r": a})
        report = gov.verify()
        assert [(x.table, x.row_id) for x in report.breaks] == [("points_balances", a)]
        drop = ("DROP TRIGGER points_entries_append_only ON points_entries"
                if engine.dialect.name == "postgresql"
                else "DROP TRIGGER points_entries_no_update")
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE points_balances SET balance = 20 WHERE resident_id "
                                 "= :r"), {"r": a})
            conn.execute(sa.text(drop))
            conn.execute(sa.text("UPDATE points_entries SET reason = 'x' WHERE id = :i"),
                         {"i": forged.id})
        report = gov.verify()
        assert [(x.table, x.row_id, x.chain) for x in report.breaks] == [
            ("points_entries", forged.id, b)]


class _Undo(Exception):
    """Rolls a test's write back."""


def test_a_batch_posts_what_single_posts_would(url: str) -> None:
    """post_entries writes the same journal rows (balances, chain hashes, ids in order) and
    balance rows as post_entry one entry at a time: residents with and without a balance row,
    a resident twice in the batch, one whose head the transaction read already."""
    from community_governance.domain.points import EntryKind
    from community_governance.services.points import (
        _resident_ref,
        post_entries,
        post_entry,
        resolve_resident,
    )
    from community_governance.storage.tables import points as tp

    with community_governance.open(url, [MinusFive()], entrypoints=False,
                                   clock=lambda: pendulum.datetime(2026, 3, 7, 2)) as gov:
        city = build_small_city(gov)
        a, b, c, d = city.all_residents()[:4]
        gov.points.earn(SYSTEM, a, 7, key="old-a")  # a has a balance row; b, c, d have none
        gov.points.earn(SYSTEM, d, 3, key="old-d")
        plan = [(a, 5, "x"), (b, 9, ""), (b, 4, "再来"), (c, 1, "c"), (d, 2, "d")]

        def run(batch: bool) -> tuple[list[Any], list[Any], list[Any]]:
            try:
                with gov.points._write(SYSTEM, "points.test") as op:
                    resolve_resident(op, d, lock=True)  # d's head read by the transaction
                    refs = {r: _resident_ref(op, r, raw=False) for r in (a, b, c, d)}
                    items = [(refs[r], EntryKind.EARN, n, f"k{i}", f"f{i}", why, "act")
                             for i, (r, n, why) in enumerate(plan)]
                    if batch:
                        got = post_entries(op, items)  # type: ignore[arg-type]
                    else:
                        got = [post_entry(op, ref, kind, n, k, f, reason=why, activity_id=ac)
                               for ref, kind, n, k, f, why, ac in items]  # type: ignore[misc]
                    conn = op.uow.conn
                    journal = conn.execute(sa.select(tp.points_entries).where(
                        tp.points_entries.c.idempotency_key.like("k%")).order_by(
                        tp.points_entries.c.id)).all()
                    balances = conn.execute(sa.select(tp.points_balances).order_by(
                        tp.points_balances.c.resident_id)).all()
                    raise _Undo((got, journal, balances))
            except _Undo as undo:
                return undo.args[0]  # type: ignore[no-any-return]
            raise AssertionError("unreachable")

        one_got, one_rows, one_bal = run(False)
        many_got, many_rows, many_bal = run(True)
        assert one_bal == many_bal and len(one_bal) == 4
        assert [r[1:] for r in one_rows] == [r[1:] for r in many_rows]
        assert [r.id for r in many_rows] == sorted(r.id for r in many_rows)
        assert [e.id for e in many_got] == [r.id for r in many_rows]
        assert [e.balance_after for e in many_got] == [12, 9, 13, 1, 5]
        strip = [(e.resident_id, e.amount, e.balance_after, e.reason, e.idempotency_key)
                 for e in one_got]
        assert strip == [(e.resident_id, e.amount, e.balance_after, e.reason,
                          e.idempotency_key) for e in many_got]
        assert gov.points.check(SYSTEM) == []


class CapOf50:
    @hookimpl
    def cgov_points_daily_cap(self, community_code: str, day: dt.date) -> int:
        return 50


def test_attendance_sessions_post_together(url: str) -> None:
    """record_attendance_many writes its sessions' entries in one batch: the daily cap counts
    the sessions before, an activity named twice records each attendee once, the audit lists
    each session's entries then its activity (as a session at a time would), and the chains
    verify."""
    with community_governance.open(url, [CapOf50()], entrypoints=False) as gov:
        city = build_small_city(gov)
        c = city.communities[0]
        rs = [r for r in city.all_residents() if city.community_of_resident(r) == c][:3]
        for r in rs:
            gov.volunteers.register(SYSTEM, r)
        start = dt.datetime(2026, 3, 7, 1, tzinfo=dt.UTC)
        a1, a2 = (gov.volunteers.create_activity(SYSTEM, ActivitySpec(
            "x", c, "elderly_care", "y", start, start + dt.timedelta(hours=2), 5))
            for _ in range(2))
        got = gov.volunteers.record_attendance_many(
            SYSTEM, [(a1.id, [rs[1], rs[0]]), (a2.id, [rs[0], rs[2]]), (a1.id, [rs[0], rs[2]])])
        assert [[(a.resident_id, a.points) for a in r.recorded] for r in got] == [
            [(rs[1], 30), (rs[0], 30)], [(rs[0], 20), (rs[2], 30)], [(rs[2], 20)]]
        assert got[2].already == (rs[0],)
        ids = [[a.entry_id for a in r.recorded] for r in got]
        assert all(i is not None for s in ids for i in s)
        # entries posted a session at a time, each session's in resident order
        assert sorted(i for s in ids for i in s) == [
            *sorted(ids[0]), *sorted(ids[1]), *ids[2]]  # type: ignore[type-var]
        trail = gov.audit.log(SYSTEM, operation="volunteers.record_attendance_many")[-1]
        assert trail.objects[-1] == f"activity:{a1.id}" and trail.objects.count(
            f"activity:{a1.id}") == 2
        assert [o for o in trail.objects if o.startswith("activity:")] == [
            f"activity:{a1.id}", f"activity:{a2.id}", f"activity:{a1.id}"]
        assert gov.points.balance(SYSTEM, rs[0]) == 50 and gov.points.balance(
            SYSTEM, rs[2]) == 50
        assert [(a.activity_id, a.entry_id) for a in gov.volunteers.service_records(
            SYSTEM, rs[2])] == [(a2.id, ids[1][1]), (a1.id, ids[2][0])]
        assert gov.points.check(SYSTEM) == []
