"""Residents evaluate party members (群众评议党员): one anonymous ballot per eligible resident,
results withheld below the place's minimum, appeals; and nobody holding the whole database
can tell who voted what."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import community_governance as cg
from community_governance.domain.party import DEFAULT_GRADES, Electorate, RoundStatus
from community_governance.errors import (
    ConflictError,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    PluginError,
    ValidationError,
)
from community_governance.storage.tables import load_all, metadata
from community_governance.storage.tables import party as pt
from community_governance.testing.city import SmallCity, build_small_city

from .conftest import NOW, SYSTEM, Clock, plugins_for, tree_of

START, END = dt.date(2019, 12, 1), dt.date(2019, 12, 20)
G1, G2, G3, G4 = DEFAULT_GRADES


def _enrol(gov: Any, city: SmallCity) -> tuple[str, str]:
    """The first community's tree; the head of B0001-101 in the building group and the head of
    B0003-101 in the second branch. Returns the two members."""
    c = city.communities[0]
    gov.registry.add_party_orgs(SYSTEM, tree_of(city, c))
    b1, _, b3, _ = city.buildings[c]
    m1 = city.residents[city.households[b1][0]][0]
    m3 = city.residents[city.households[b3][0]][0]
    gov.registry.add_party_members(SYSTEM, f"PG-{b1}", [m1], since=START.replace(year=2018))
    gov.registry.add_party_members(SYSTEM, f"PB-{city.grid_of_building(b3)}", [m3],
                                   since=START.replace(year=2018))
    return m1, m3


def _voters(city: SmallCity, member: str, electorate: Electorate) -> list[str]:
    """The residents who may evaluate ``member`` (written out from the layout, not asked)."""
    c = city.communities[0]
    b = next(b for b in city.buildings[c] for h in city.households[b]
             if member in city.residents[h])
    if electorate is Electorate.BUILDING:
        near = [b]
    else:
        near = [x for x in city.buildings[c] if city.grid_of_building(x) ==
                city.grid_of_building(b)]
    return [r for x in near for h in city.households[x] for r in city.residents[h]
            if r != member]


def _open(gov: Any, city: SmallCity, members: list[str], rid: str = "EV-2019") -> Any:
    c = city.communities[0]
    return gov.party.open_evaluation(city.secretary[c], rid, c, title="2019年度群众评议党员",
                                     period_start=START, period_end=END, member_ids=members)


def _counts(gov: Any) -> tuple[int, int]:
    with gov.store.unit_of_work(write=False) as uow:
        part = uow.conn.execute(sa.select(sa.func.count()).select_from(
            pt.evaluation_participation)).scalar_one()
        votes = uow.conn.execute(sa.select(sa.func.coalesce(sa.func.sum(
            pt.evaluation_tallies.c.ballots), 0))).scalar_one()
    return int(part), int(votes)


def test_one_ballot_per_eligible_resident(gov: Any, city: SmallCity, county: str) -> None:
    """Takes one ballot from each resident of the member's grid (Yima) or building (湖滨区);
    refuses a second ballot, an outsider, the member, a grade not offered, a neighbour voting
    for someone else; each refusal writes nothing."""
    m1, m3 = _enrol(gov, city)
    round_ = _open(gov, city, [m1, m3])
    expected = Electorate.BUILDING if county == "411202" else Electorate.GRID
    assert (round_.electorate, round_.grades) == (expected, DEFAULT_GRADES)
    voters = _voters(city, m1, expected)
    assert len(voters) == (5 if county == "411202" else 11)
    for i, v in enumerate(voters):
        gov.party.cast_ballot(cg.Actor.resident(v), "EV-2019", m1, (G1, G2)[i % 2])
    assert _counts(gov) == (len(voters), len(voters))
    c = city.communities[0]
    outsider = city.residents[city.households[city.buildings[c][3]][0]][1]
    if expected is Electorate.BUILDING:
        outsider = city.residents[city.households[city.buildings[c][1]][0]][0]
    refusals = [
        (cg.Actor.resident(voters[0]), voters[0], G3, ConflictError, "already"),
        (cg.Actor.resident(outsider), outsider, G1, PermissionDenied, "evaluate member"),
        (cg.Actor.resident(m1), m1, G1, PermissionDenied, "themselves"),
        (cg.Actor.resident(voters[0]), voters[0], "很好", ValidationError, "grades"),
        (city.secretary[c], voters[1], G1, PermissionDenied, "party.evaluate"),
    ]
    for actor, voter, grade, err, words in refusals:
        with pytest.raises(err, match=words):
            gov.party.cast_ballot(actor, "EV-2019", m1, grade, voter_id=voter)
        assert _counts(gov) == (len(voters), len(voters))
    with pytest.raises(NotFound):
        gov.party.cast_ballot(cg.Actor.resident(voters[0]), "EV-2019", "R-NONE", G1)
    v3 = _voters(city, m3, expected)[0]
    with pytest.raises(ConflictError, match="twice"):
        gov.party.cast_ballots(SYSTEM, "EV-2019", [(v3, m3, G1), (v3, m3, G2)])
    assert gov.party.participants(city.secretary[c], "EV-2019") == {m1: len(voters)}


def test_the_audit_trail_names_the_member_never_the_grade(gov: Any, city: SmallCity) -> None:
    """The audit row of a ballot names round, member and voter, and no grade."""
    m1, _ = _enrol(gov, city)
    _open(gov, city, [m1])
    v = _voters(city, m1, Electorate.BUILDING)[0]
    gov.party.cast_ballot(cg.Actor.resident(v), "EV-2019", m1, G4)
    entry = gov.audit.log(SYSTEM, operation="party.evaluate")[-1]
    assert entry.objects == (f"evaluation_participation:EV-2019/{m1}/{v}",)
    assert entry.detail == {"round": "EV-2019"}
    assert not any(g in str(entry.as_dict()) for g in DEFAULT_GRADES)


def test_results_are_withheld_below_the_minimum(gov: Any, city: SmallCity,
                                                county: str, clock: Clock) -> None:
    """Publishes the counts of a member with enough ballots (Yima: 11 >= 10), withholds
    them below the place's minimum (湖滨区: 5 < 8; no ballots at all); the member and the
    committee read them, nobody else; the round takes no ballot after closing."""
    m1, m3 = _enrol(gov, city)
    c = city.communities[0]
    sec = city.secretary[c]
    round_ = _open(gov, city, [m1, m3])
    voters = _voters(city, m1, round_.electorate)
    gov.party.cast_ballots(SYSTEM, "EV-2019", [(v, m1, G1 if i < 7 else G3)
                                               for i, v in enumerate(voters)])
    with pytest.raises(ConflictError, match="still open"):
        gov.party.results(sec, "EV-2019")
    closed = gov.party.close_evaluation(sec, "EV-2019")
    assert closed.status is RoundStatus.CLOSED
    assert closed.min_ballots == (8 if county == "411202" else 10)
    results = {r.member_id: r for r in gov.party.results(sec, "EV-2019")}
    if county == "411202":
        assert (results[m1].ballots, results[m1].published, results[m1].counts) == (5, False,
                                                                                    None)
    else:
        assert results[m1].counts == ((G1, 7), (G2, 0), (G3, 4), (G4, 0))
    assert (results[m3].ballots, results[m3].counts) == (0, None)
    assert gov.party.result(cg.Actor.resident(m1), "EV-2019", m1) == results[m1]
    for actor in (cg.Actor.resident(voters[0]), city.grid_leader[city.grids[c][0]]):
        with pytest.raises(PermissionDenied):
            gov.party.result(actor, "EV-2019", m1)
    with pytest.raises(ConflictError, match="closed"):
        gov.party.cast_ballot(cg.Actor.resident(voters[0]), "EV-2019", m3, G1)
    with pytest.raises(ConflictError, match="closed already"):
        gov.party.close_evaluation(sec, "EV-2019")


def test_ballots_only_within_the_period(gov: Any, city: SmallCity, clock: Clock) -> None:
    """Refuses a ballot after the period's last day."""
    m1, _ = _enrol(gov, city)
    _open(gov, city, [m1])
    clock.now = NOW.add(days=15)
    v = _voters(city, m1, Electorate.BUILDING)[0]
    with pytest.raises(ConflictError, match="vote within the period"):
        gov.party.cast_ballot(cg.Actor.resident(v), "EV-2019", m1, G1)


def test_opening_is_checked(gov: Any, city: SmallCity) -> None:
    """Refuses non-members, members living elsewhere, a repeated key, a blank title."""
    m1, _ = _enrol(gov, city)
    c = city.communities[0]
    stranger = city.residents[city.households[city.buildings[c][1]][0]][0]
    with pytest.raises(ConflictError, match="not a party member"):
        _open(gov, city, [stranger])
    elsewhere = city.residents[city.households[city.buildings[city.communities[1]][0]][0]][0]
    with pytest.raises(ValidationError, match="does not live"):
        _open(gov, city, [elsewhere])
    with pytest.raises(ValidationError, match="twice"):
        _open(gov, city, [m1, m1])
    _open(gov, city, [m1])
    with pytest.raises(ConflictError, match="exists already"):
        _open(gov, city, [m1])
    with pytest.raises(PermissionDenied):
        gov.party.open_evaluation(city.grid_leader[city.grids[c][0]], "EV-X", c, title="x",
                                  period_start=START, period_end=END, member_ids=[m1])


class NonsenseGrades:
    @cg.hookimpl
    def cgov_party_evaluation_grades(self, community_code: str) -> Any:
        return "优秀"


class NonsenseMinimum:
    @cg.hookimpl
    def cgov_party_evaluation_min_ballots(self, community_code: str) -> Any:
        return 1


def test_a_plugin_answering_nonsense_writes_nothing(gov_with_plugins: Any) -> None:
    """A grades answer that is not a list, a minimum below 3: PluginError naming the plugin,
    nothing written."""
    clock = Clock(NOW)
    gov = gov_with_plugins(NonsenseGrades(), NonsenseMinimum(), clock=clock)
    city = build_small_city(gov)
    m1, _ = _enrol(gov, city)
    with pytest.raises(PluginError, match="cgov_party_evaluation_grades"):
        _open(gov, city, [m1])
    with gov.store.unit_of_work(write=False) as uow:
        assert uow.conn.execute(sa.select(pt.evaluation_rounds)).all() == []


def test_an_appeal_is_filed_and_decided(gov: Any, city: SmallCity) -> None:
    """The member appeals a closed round once at a time; the committee decides once."""
    m1, _ = _enrol(gov, city)
    c = city.communities[0]
    sec = city.secretary[c]
    _open(gov, city, [m1])
    me = cg.Actor.resident(m1)
    with pytest.raises(ConflictError, match="still open"):
        gov.party.appeal(me, "AP-1", "EV-2019", m1, reason="评议人员不了解情况")
    gov.party.close_evaluation(sec, "EV-2019")
    with pytest.raises(PermissionDenied):
        gov.party.appeal(cg.Actor.resident(_voters(city, m1, Electorate.BUILDING)[0]),
                         "AP-1", "EV-2019", m1, reason="x")
    a = gov.party.appeal(me, "AP-1", "EV-2019", m1, reason="评议人员不了解情况")
    with pytest.raises(ConflictError, match="pending"):
        gov.party.appeal(me, "AP-2", "EV-2019", m1, reason="再次申诉")
    with pytest.raises(PermissionDenied):
        gov.party.decide_appeal(me, "AP-1", upheld=True, decision="自己决定")
    done = gov.party.decide_appeal(sec, "AP-1", upheld=False, decision="经核实，维持原结果")
    assert (done.status.value, done.decided_on) == ("rejected", NOW.date())
    assert gov.party.appeals(sec, "EV-2019") == [done]
    assert a.reason == "评议人员不了解情况"
    with pytest.raises(InvalidTransition):
        gov.party.decide_appeal(sec, "AP-1", upheld=True, decision="改判")


# ------------------------------------------------------------------ anonymity


def _dump(gov: Any) -> list[tuple[str, list[tuple[Any, ...]]]]:
    """Every row of every table, in the order the database returns them, as an attacker with
    the whole database sees it (the audit chain's per-process stream id and hashes aside:
    they are random per store)."""
    load_all()
    out = []
    with gov.store.unit_of_work(write=False) as uow:
        for table in metadata.sorted_tables:
            cols = [c for c in table.columns if c.name not in ("chain", "chain_hash")]
            out.append((table.name, [tuple(r) for r in uow.conn.execute(sa.select(*cols))]))
    return out


@pytest.fixture
def twins(county: str) -> Iterator[tuple[Any, Any, SmallCity, list[str], str]]:
    """Two identical stores (same clock, same city, same open round)."""
    stores = []
    for _ in range(2):
        g = cg.open("memory://", plugins=plugins_for(county), entrypoints=False, clock=Clock(NOW))
        city = build_small_city(g, county)
        m1, _ = _enrol(g, city)
        _open(g, city, [m1])
        stores.append(g)
    voters = _voters(city, m1, stores[0].party.evaluation("EV-2019").electorate)
    try:
        yield stores[0], stores[1], city, voters, m1
    finally:
        for g in stores:
            g.close()


def test_swapping_two_voters_grades_leaves_the_database_identical(twins: Any) -> None:
    """Alice 优秀 and Bob 不合格, or Alice 不合格 and Bob 优秀: the attacker's dumps of the two
    databases are identical, so nothing in them tells who voted what."""
    a, b, _city, voters, m1 = twins
    x, y = voters[0], voters[1]
    for gov, (gx, gy) in ((a, (G1, G4)), (b, (G4, G1))):
        gov.party.cast_ballot(cg.Actor.resident(x), "EV-2019", m1, gx)
        gov.party.cast_ballot(cg.Actor.resident(y), "EV-2019", m1, gy)
    assert _dump(a) == _dump(b)
    with a.store.unit_of_work(write=False) as uow:
        tally = {r.grade: r.ballots for r in uow.conn.execute(sa.select(pt.evaluation_tallies))}
    assert tally == {G1: 1, G2: 0, G3: 0, G4: 1}


@settings(max_examples=8, deadline=None)
@given(data=st.data())
def test_who_voted_what_is_not_in_the_database(twins: Any, data: st.DataObject) -> None:
    """Any assignment of grades to voters and any permutation of it (the same grades, other
    voters, another order of voting) leave identical databases: an attacker with a full dump
    and the list of who voted does no better than chance."""
    a, b, _city, voters, m1 = twins
    # a fresh round per example: the twins are shared by the examples, and hypothesis may
    # replay a drawn number
    round_id = f"EV-{uuid.uuid4().hex[:12]}"
    for gov in (a, b):
        gov.party.open_evaluation(SYSTEM, round_id, _city.communities[0], title="评议",
                                  period_start=START, period_end=END, member_ids=[m1])
    chosen = data.draw(st.lists(st.sampled_from(voters), min_size=2, unique=True))
    grades = data.draw(st.lists(st.sampled_from(DEFAULT_GRADES), min_size=len(chosen),
                                max_size=len(chosen)))
    shuffled = data.draw(st.permutations(grades))
    for v, g in zip(chosen, grades, strict=True):
        a.party.cast_ballot(cg.Actor.resident(v), round_id, m1, g)
    for v, g in zip(chosen, shuffled, strict=True):  # the same voters, grades swapped about
        b.party.cast_ballot(cg.Actor.resident(v), round_id, m1, g)
    assert _dump(a) == _dump(b)


def test_the_ballot_table_holds_no_voter_time_or_order() -> None:
    """The counts table has no column naming a resident, a time or a sequence, and no other
    table but the participation table refers to the voter."""
    cols = {c.name: c for c in pt.evaluation_tallies.columns}
    assert set(cols) == {"round_id", "member_id", "grade", "ballots"}
    assert not any(c.autoincrement is True for c in cols.values())
    assert not any(isinstance(c.type, sa.DateTime | sa.Date) for c in cols.values())
    assert not any(fk.column.table.name == "residents"
                   for fk in pt.evaluation_tallies.foreign_keys)
    assert {c.name for c in pt.evaluation_participation.columns} == {
        "round_id", "member_id", "voter_id"}


def test_a_minimum_below_three_is_refused_at_closing(gov_with_plugins: Any) -> None:
    """A minimum of 1 ballot would single voters out: PluginError, the round stays open."""
    gov = gov_with_plugins(NonsenseMinimum(), clock=Clock(NOW))
    city = build_small_city(gov)
    m1, _ = _enrol(gov, city)
    _open(gov, city, [m1])
    with pytest.raises(PluginError, match="cgov_party_evaluation_min_ballots"):
        gov.party.close_evaluation(SYSTEM, "EV-2019")
    assert gov.party.evaluation("EV-2019").status is RoundStatus.OPEN


def _tallies(gov: Any, round_id: str) -> list[tuple[Any, ...]]:
    k = pt.evaluation_tallies.c
    with gov.store.unit_of_work(write=False) as uow:
        return [tuple(r) for r in uow.conn.execute(sa.select(k.member_id, k.grade, k.ballots)
                                                    .where(k.round_id == round_id)
                                                    .order_by(k.member_id, k.grade))]


def _participation(gov: Any, round_id: str) -> list[tuple[Any, ...]]:
    p = pt.evaluation_participation.c
    with gov.store.unit_of_work(write=False) as uow:
        return [tuple(r) for r in uow.conn.execute(sa.select(p.member_id, p.voter_id)
                                                    .where(p.round_id == round_id)
                                                    .order_by(p.member_id, p.voter_id))]


def _batch_as_singles(gov: Any, city: SmallCity, picks: list[tuple[int, int, int]]) -> None:
    """Round EV-S gets ``picks`` (voter index, member index, grade index) as single ballots,
    round EV-B as one batch: the same tallies and participation."""
    m1, m3 = _enrol(gov, city)
    members = [m1, m3]
    for rid in ("EV-S", "EV-B"):
        _open(gov, city, members, rid)
    electorate = gov.party.evaluation("EV-S").electorate
    pools = [_voters(city, m, electorate) for m in members]
    one: dict[tuple[str, str], str] = {}  # one ballot per voter and member: the first
    for v, m, g in picks:
        one.setdefault((pools[m][v % len(pools[m])], members[m]), DEFAULT_GRADES[g])
    ballots = [(voter, member, grade) for (voter, member), grade in one.items()]
    for voter, member, grade in ballots:
        gov.party.cast_ballot(cg.Actor.resident(voter), "EV-S", member, grade)
    assert gov.party.cast_ballots(SYSTEM, "EV-B", ballots) == len(ballots)
    assert _tallies(gov, "EV-B") == _tallies(gov, "EV-S")
    assert _participation(gov, "EV-B") == _participation(gov, "EV-S")
    assert sum(n for *_, n in _tallies(gov, "EV-B")) == len(ballots)


_PICKS = st.lists(st.tuples(st.integers(0, 30), st.integers(0, 1), st.integers(0, 3)),
                  min_size=1, max_size=25)


@settings(max_examples=6, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(picks=_PICKS)
def test_a_batch_of_ballots_counts_as_the_single_ballots(county: str,
                                                         picks: list[tuple[int, int, int]]) -> None:
    """``cast_ballots`` (one statement for every member's counts) stores the tallies and the
    participation that the same ballots cast one by one store (SQLite)."""
    with cg.open("memory://", plugins=plugins_for(county), entrypoints=False,
                 clock=Clock(NOW)) as gov:
        _batch_as_singles(gov, build_small_city(gov, county), picks)


def test_a_batch_of_ballots_counts_as_the_single_ballots_on_postgresql(
        postgres_url: str) -> None:
    """The same on PostgreSQL."""
    import random

    rng = random.Random(7)
    picks = [(rng.randint(0, 30), rng.randint(0, 1), rng.randint(0, 3)) for _ in range(25)]
    with cg.open(postgres_url, entrypoints=False, clock=Clock(NOW)) as gov:
        _batch_as_singles(gov, build_small_city(gov), picks)
