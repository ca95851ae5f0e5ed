"""The ledger's hot path writes what the general code would (issue #21 item 3): the journal row
and the audit row encoded field by field hash to the same bytes as the canonical encoding, the
county day remembered per zone is the zone's conversion at every instant, and a Core statement
inside a driver-begun transaction joins it."""

from __future__ import annotations

import datetime as dt

import pendulum
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import community_governance
from community_governance.domain.access import Actor
from community_governance.domain.chain import canonical_text, link, link_text, utc_text
from community_governance.domain.points import month_of, request_fingerprint
from community_governance.services.base import (
    AUDIT_CHAIN_COLUMNS,
    audit_fields,
    audit_text,
    county_today,
)
from community_governance.services.points import CHAIN_COLUMNS, FastSql, entry_text
from community_governance.storage.tables import points as tp
from community_governance.testing.city import build_small_city

_text = st.text(max_size=10)
_opt = st.none() | _text
_when = st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2090, 1, 1),
                     timezones=st.just(dt.UTC)).map(pendulum.instance)


@settings(max_examples=300, deadline=None)
@given(rid=_text, kind=st.sampled_from(["earn", "redeem", "expire", "reverse"]),
       amount=st.integers(-10**9, 10**9), balance=st.integers(0, 10**12), at=_when,
       community=_opt, key=_text, request=_text, reverses=st.none() | st.integers(1, 10**9),
       activity=_opt, reason=_text, actor=_text)
def test_entry_text_is_the_canonical_text_of_the_row(
        rid: str, kind: str, amount: int, balance: int, at: pendulum.DateTime,
        community: str | None, key: str, request: str, reverses: int | None,
        activity: str | None, reason: str, actor: str) -> None:
    day = at.date()
    values = (rid, kind, amount, balance, at, day, f"{day.year:04d}-{day.month:02d}",
              community, key, request, reverses, activity, reason, actor)
    fields = dict(zip(CHAIN_COLUMNS, values, strict=True))
    assert entry_text(values, utc_text(at)) == canonical_text(fields)
    assert link_text("f" * 64, entry_text(values, utc_text(at))) == link("f" * 64, fields)


@settings(max_examples=200, deadline=None)
@given(at=_when, kind=_text, who=_text, what=_text, objects=_text, detail=_text, chain=_text)
def test_audit_text_is_the_canonical_text_of_the_row(
        at: pendulum.DateTime, kind: str, who: str, what: str, objects: str, detail: str,
        chain: str) -> None:
    fields = dict(zip(AUDIT_CHAIN_COLUMNS, (at, kind, who, what, objects, detail, chain),
                      strict=True))
    assert audit_text(at, kind, who, what, objects, detail, chain) == canonical_text(fields)
    assert audit_text(utc_text(at), kind, who, what, objects, detail, chain) == (
        canonical_text(fields))


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "Europe/London", "America/Santiago",
                                  "America/Havana", "Australia/Lord_Howe", "Pacific/Apia",
                                  "Asia/Tehran"])
@settings(max_examples=150, deadline=None)
@given(instants=st.lists(_when, min_size=1, max_size=12))
def test_county_today_is_the_zones_date_at_every_instant(
        zone: str, instants: list[pendulum.DateTime]) -> None:
    tz = pendulum.timezone(zone)
    for now in instants:  # in any order: the remembered days must never answer wrongly
        assert county_today(tz, now) == now.in_timezone(tz).date()
        near = now.add(minutes=59)
        assert county_today(tz, near) == near.in_timezone(tz).date()


def test_county_today_across_a_dst_change_at_midnight() -> None:
    tz = pendulum.timezone("America/Santiago")  # clocks move at midnight
    start = pendulum.datetime(2026, 9, 5, 0, 0, tz="UTC")
    for h in range(0, 24 * 4):
        now = start.add(minutes=30 * h)
        assert county_today(tz, now) == now.in_timezone(tz).date(), now


@pytest.mark.parametrize("zone", ["America/Havana", "America/Santiago", "Asia/Tehran"])
def test_county_today_when_midnight_happens_twice(zone: str) -> None:
    """Havana sets its clocks back from 01:00 to 00:00: midnight happens twice, and the day
    starts at the first one (the day before must not be remembered to last until the second)."""
    tz = pendulum.timezone(zone)
    start = pendulum.datetime(2028, 11, 3, 0, 0, tz="UTC")
    for h in range(0, 24 * 4 * 4):
        now = start.add(minutes=15 * h)
        assert county_today(tz, now) == now.in_timezone(tz).date(), now


class _Op:
    def __init__(self, touched: list[str], detail: dict[str, object]) -> None:
        self.touched, self.detail = touched, detail


@pytest.mark.parametrize("touched", [["points_entry:1"], ["points_entry:12345678901"],
                                     ["resident:４１１２８１１９５１０１０１００１２"],
                                     ["x:13800000007"], ["k:\"李\""]])
def test_audit_fields_of_one_object_are_the_json_dumps_masked(touched: list[str]) -> None:
    import json

    from community_governance.masking import mask_text

    assert audit_fields(_Op(touched, {})) == (  # type: ignore[arg-type]
        mask_text(json.dumps(touched, ensure_ascii=False)), "{}")


def test_core_statement_joins_a_driver_begun_transaction(tmp_path: object) -> None:
    import sqlalchemy as sa

    url = f"sqlite:///{tmp_path}/h.db"
    with community_governance.open(url, entrypoints=False) as gov:
        res = build_small_city(gov).all_residents()
        store = gov.store
        with store.driver_unit_of_work() as uow:  # type: ignore[attr-defined]
            uow.driver.execute("UPDATE points_balances SET balance = 1 WHERE 0")
            uow.conn.execute(sa.text("SELECT count(*) FROM residents")).scalar_one()
            assert uow.conn.in_transaction()
        # rolled back (never committed): a later write still works, nothing is half open
        gov.points.earn(Actor.system("t"), res[0], 3, key="after")
        with store.driver_unit_of_work() as uow:  # type: ignore[attr-defined]
            uow.conn.execute(sa.text("DELETE FROM access_denial_counts WHERE 0"))
            uow.commit()
        assert gov.points.balance(Actor.system("t"), res[0]) == 3


@pytest.mark.parametrize("dialect_name", ["sqlite", "postgresql"])
@settings(max_examples=200, deadline=None)
@given(instants=st.lists(_when, min_size=1, max_size=8))
def test_hot_path_stores_times_and_days_as_the_column_types_do(
        dialect_name: str, instants: list[pendulum.DateTime]) -> None:
    """The pre-rendered SQL's timestamps and days (remembered for the last day asked) are what
    the columns' own bind processors write, and the month is ``month_of`` the day."""
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = (sqlite.dialect() if dialect_name == "sqlite"
               else postgresql.dialect())
    dialect.loaded_dbapi = type("DBAPI", (), {"IntegrityError": Exception})  # type: ignore[misc]
    fast = FastSql(dialect)
    at_proc = tp.points_entries.c.at.type.dialect_impl(dialect).bind_processor(dialect)
    day_proc = tp.points_entries.c.day.type.dialect_impl(dialect).bind_processor(dialect)
    for when in instants:
        stored = at_proc(when) if at_proc is not None else when
        assert fast.timestamp(when) == stored
        day = when.date()
        for _ in range(2):  # asked again: the remembered forms
            assert fast.day_forms(day) == (
                day_proc(day) if day_proc is not None else day, month_of(day))


@settings(max_examples=200, deadline=None)
@given(resident=_text, amount=st.integers(1, 10**9), reason=_text)
def test_request_fingerprint_is_stable(resident: str, amount: int, reason: str) -> None:
    """The fingerprint stored beside a key never changes for the same request (replays of
    entries written by earlier versions compare equal): the digest of the sorted fields."""
    import hashlib

    text = f"amount={amount!r}\x1fop='earn'\x1freason={reason!r}\x1fresident={resident!r}"
    assert request_fingerprint(op="earn", resident=resident, amount=amount, reason=reason) == (
        hashlib.blake2b(text.encode(), digest_size=16).hexdigest())
