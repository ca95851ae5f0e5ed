"""gov.appointments: centres, slots on the official calendar, booking without double booking
(also across processes on SQLite and PostgreSQL), proxy handling and home visits."""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp
from pathlib import Path
from typing import Any

import pendulum
import pytest

import community_governance
from community_governance.domain.access import Actor
from community_governance.domain.appointments import (
    DEFAULT_HOURS,
    AssistStatus,
    CentreKind,
    OpeningHours,
    ServiceCentre,
)
from community_governance.errors import (
    ConflictError,
    InvalidTransition,
    PermissionDenied,
    ValidationError,
)
from community_governance.testing.city import build_small_city

SYSTEM = Actor.system("test")
SLOT = pendulum.datetime(2026, 10, 10, 9, 0, tz="Asia/Shanghai")  # a swapped working Saturday


def _centre(community: str, seats: int = 2, kind: CentreKind = CentreKind.CONVENIENCE,
            cid: str = "CEN1") -> ServiceCentre:
    return ServiceCentre(cid, community, kind, f"{kind.chinese}", DEFAULT_HOURS[kind],
                         seats=seats)


def test_every_kind_of_centre_has_a_name_and_hours() -> None:
    """Names the ten kinds of centre in Chinese and gives each opening hours."""
    assert len(CentreKind) == 10
    assert {k.chinese for k in CentreKind} >= {"便民服务中心", "社会法庭", "积分超市",
                                                "老年人日间照料中心", "便民工具室"}
    assert all(DEFAULT_HOURS[k].working_days for k in CentreKind)
    with pytest.raises(ValidationError, match="overlap"):
        OpeningHours(("08:00-12:00", "11:00-13:00"))


def test_slots_follow_the_official_calendar(city: Any, cgov: Any) -> None:
    """Opens office slots on a swapped working Saturday and none on a National Day holiday;
    a culture centre opens on rest days too."""
    c = city.communities[0]
    cgov.appointments.add_centre(SYSTEM, _centre(c))
    cgov.appointments.add_centre(SYSTEM, _centre(c, kind=CentreKind.CULTURE_SPORTS,
                                                 cid="CEN2"))
    saturday = cgov.appointments.slots("CEN1", dt.date(2026, 10, 10))
    assert [s.local for s in saturday[:3]] == ["08:30", "09:00", "09:30"]
    assert len(saturday) == 13 and all(s.free == 2 for s in saturday)
    assert cgov.appointments.slots("CEN1", dt.date(2026, 10, 3)) == []
    assert cgov.appointments.slots("CEN1", dt.date(2026, 10, 11)) == []  # ordinary Sunday
    assert cgov.appointments.slots("CEN2", dt.date(2026, 10, 3))


def test_booking_takes_seats_until_full_and_cancel_frees_one(city: Any, cgov: Any) -> None:
    """Gives distinct seats, refuses a full slot and a second booking of one resident, and
    lets a cancelled seat be booked again."""
    c = city.communities[0]
    cgov.appointments.add_centre(SYSTEM, _centre(c))
    r1, r2, r3 = city.all_residents()[:3]
    a1 = cgov.appointments.book(Actor.resident(r1), "CEN1", SLOT, r1, matter_code="MZ-001")
    with pytest.raises(ConflictError, match="already holds"):
        cgov.appointments.book(city.staff[c], "CEN1", SLOT, r1)
    a2 = cgov.appointments.book(city.staff[c], "CEN1", SLOT, r2)
    assert {a1.seat, a2.seat} == {1, 2}
    with pytest.raises(ConflictError, match="full"):
        cgov.appointments.book(city.staff[c], "CEN1", SLOT, r3)
    cgov.appointments.cancel(Actor.resident(r1), a1.id)
    with pytest.raises(ConflictError, match="not booked"):
        cgov.appointments.cancel(Actor.resident(r1), a1.id)
    a3 = cgov.appointments.book(city.staff[c], "CEN1", SLOT, r3)
    assert a3.seat == a1.seat
    assert next(s.free for s in cgov.appointments.slots("CEN1", SLOT.date()) if
            s.start == SLOT) == 0
    assert {a.resident_id for a in cgov.appointments.appointments(city.staff[c])} == {r2, r3}
    assert cgov.appointments.appointments(Actor.resident(r1)) == []


def test_booking_rules(city: Any, cgov: Any) -> None:
    """Refuses times off the slot grid, past slots, and other people's bookings."""
    c = city.communities[0]
    cgov.appointments.add_centre(SYSTEM, _centre(c))
    r1, r2 = city.all_residents()[:2]
    with pytest.raises(ValidationError, match="not a slot"):
        cgov.appointments.book(SYSTEM, "CEN1", SLOT.add(minutes=10), r1)
    with pytest.raises(ValidationError, match="not a slot"):
        cgov.appointments.book(SYSTEM, "CEN1", SLOT.replace(hour=13), r1)
    with pytest.raises(ValidationError, match="passed"):
        cgov.appointments.book(SYSTEM, "CEN1", pendulum.datetime(2026, 9, 24, 9,
                                                                 tz="Asia/Shanghai"), r1)
    with pytest.raises(PermissionDenied):
        cgov.appointments.book(Actor.resident(r1), "CEN1", SLOT, r2)
    a = cgov.appointments.book(Actor.resident(r2), "CEN1", SLOT, r2)
    with pytest.raises(PermissionDenied):
        cgov.appointments.cancel(Actor.resident(r1), a.id)
    assert cgov.appointments.mark(city.staff[c], a.id, attended=True).status.value == "attended"


def test_proxy_and_home_visit_lifecycle(city: Any, cgov: Any) -> None:
    """Assigns a home visit to staff covering the resident, records the outcome, and refuses
    steps out of order or staff of another community."""
    c = city.communities[0]
    elder = city.elderly[c]
    req = cgov.appointments.request_assistance(
        city.grid_leader[city.grids[c][1]], kind="home_visit", resident_id=elder,
        description="高龄津贴资格认证", matter_code="MZ-003")
    assert req.status is AssistStatus.REQUESTED
    assert req.due == dt.date(2026, 10, 9)  # 5 working days: 9-28..9-30, 10-8, 10-9
    with pytest.raises(InvalidTransition):
        cgov.appointments.record_outcome(city.staff[c], req.id, done=True, outcome="完成")
    with pytest.raises(ValidationError, match="holds no post"):
        cgov.appointments.assign_assistance(city.secretary[c], req.id,
                                            city.staff[city.communities[2]].id)
    req = cgov.appointments.assign_assistance(city.secretary[c], req.id, city.staff[c].id)
    done = cgov.appointments.record_outcome(city.staff[c], req.id, done=False,
                                            outcome="老人住院，改期")
    assert (done.status, done.outcome) == (AssistStatus.UNABLE, "老人住院，改期")
    proxy = cgov.appointments.request_assistance(Actor.resident(elder), kind="proxy",
                                                 resident_id=elder, description="代办低保年审")
    assert {r.id for r in cgov.appointments.assistance(Actor.resident(elder))} == {
        req.id, proxy.id}
    assert cgov.appointments.assistance(city.staff[city.communities[2]]) == []


# ----------------------------------------------------------------------------- concurrency


def _clock() -> pendulum.DateTime:
    return pendulum.datetime(2026, 9, 25, 9, tz="Asia/Shanghai")


def _book(url: str, resident: str, barrier: Any, out: Any) -> None:
    with community_governance.open(url, entrypoints=False, clock=_clock) as gov:
        barrier.wait(timeout=30)
        try:
            a = gov.appointments.book(SYSTEM, "CEN1", SLOT, resident)
            out.put(("ok", resident, a.seat))
        except ConflictError as exc:
            out.put(("conflict", resident, str(exc)))
        except Exception as exc:
            out.put(("error", resident, repr(exc)))


def _race(url: str, residents: list[str]) -> list[tuple[str, str, Any]]:
    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(len(residents))
    out = ctx.Queue()
    procs = [ctx.Process(target=_book, args=(url, r, barrier, out)) for r in residents]
    for p in procs:
        p.start()
    results = [out.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    return results


def _setup(url: str, seats: int) -> list[str]:
    with community_governance.open(url, entrypoints=False, clock=_clock) as gov:
        city = build_small_city(gov)
        gov.appointments.add_centre(SYSTEM, _centre(city.communities[0], seats=seats))
        return city.all_residents()


def _check_race(url: str) -> None:
    residents = _setup(url, seats=3)
    results = _race(url, residents[:8])
    assert [r for r in results if r[0] == "error"] == []
    wins = [r for r in results if r[0] == "ok"]
    assert len(wins) == 3
    assert sorted(r[2] for r in wins) == [1, 2, 3]
    same = _race(url, [residents[10]] * 4)  # one resident, four devices
    assert [r[0] for r in same].count("ok") == 0  # the slot is full already
    with community_governance.open(url, entrypoints=False, clock=_clock) as gov:
        live = gov.appointments.appointments(SYSTEM, centre_id="CEN1")
        assert len(live) == 3
        assert len({a.seat for a in live}) == 3
        gov.appointments.cancel(SYSTEM, live[0].id)
    same = _race(url, [residents[10]] * 4)
    assert [r[0] for r in same].count("ok") == 1
    assert [r[0] for r in same].count("error") == 0


def test_concurrent_booking_on_sqlite(tmp_path: Path) -> None:
    """Lets 8 processes race for 3 seats on SQLite: exactly 3 win with distinct seats, and
    one resident racing on 4 devices for a freed seat gets it once."""
    _check_race(f"sqlite:///{tmp_path / 'race.db'}")


@pytest.mark.postgres
def test_concurrent_booking_on_postgresql(postgres_url: str) -> None:
    """Lets 8 processes race for 3 seats on PostgreSQL: exactly 3 win with distinct seats,
    and one resident racing on 4 devices for a freed seat gets it once."""
    _check_race(postgres_url)
