"""The batched operations the demo uses: many memberships in one transaction, consent forms
imported at once, and postings that redact the residents' names they contain (on SQLite and
PostgreSQL, whose text search differs)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa

import community_governance as cg
from community_governance.domain.council import CouncilMember, CouncilSeat
from community_governance.errors import ConflictError, NotFound, PermissionDenied
from community_governance.services.affairs import redact
from community_governance.storage.tables import core as t
from community_governance.storage.tables import party as pt
from community_governance.testing.city import SmallCity, build_small_city

from .conftest import SINCE, SYSTEM, tree_of


def _memberships(gov: Any) -> list[tuple[str, str]]:
    m = t.party_memberships.c
    with gov.store.unit_of_work(write=False) as uow:
        return [tuple(r) for r in uow.conn.execute(
            sa.select(m.org_id, m.resident_id).order_by(m.org_id, m.resident_id))]


def _people(city: SmallCity, b: str) -> list[str]:
    return [r for h in city.households[b] for r in city.residents[h]]


def test_many_memberships_in_one_operation(gov: Any, city: SmallCity) -> None:
    """Enrols residents in several organizations at once, marks them as members; an unknown
    organization, a membership twice or an actor without the right writes nothing."""
    c = city.communities[0]
    gov.registry.add_party_orgs(SYSTEM, tree_of(city, c))
    b1, _, b3, _ = city.buildings[c]
    group, branch = f"PG-{b1}", f"PB-{city.grid_of_building(b3)}"
    first, third = _people(city, b1), _people(city, b3)
    assert gov.registry.add_party_memberships(
        SYSTEM, {group: first, branch: third[:2]}, since=SINCE) == len(first) + 2
    want = sorted([(group, r) for r in first] + [(branch, r) for r in third[:2]])
    assert _memberships(gov) == want
    with gov.store.unit_of_work(write=False) as uow:
        flagged = set(uow.conn.execute(sa.select(t.residents.c.id).where(
            t.residents.c.party_member.is_(True))).scalars())
    assert flagged >= set(first) | set(third[:2])
    refusals: list[tuple[Any, dict[str, list[str]], type[Exception]]] = [
        (SYSTEM, {branch: third[2:3], "PB-NONE": third[3:4]}, NotFound),
        (SYSTEM, {branch: third[2:3] + third[:1]}, ConflictError),
        (city.grid_leader[city.grids[c][0]], {branch: third[2:3]}, PermissionDenied),
    ]
    for actor, batch, err in refusals:
        with pytest.raises(err):
            gov.registry.add_party_memberships(actor, batch, since=SINCE)
        assert _memberships(gov) == want


def test_consent_forms_imported_at_once(gov: Any, party: SmallCity) -> None:
    """A system job records members' signed forms; a non-member's form, an unknown resident
    or a committee recording them for the members writes nothing."""
    c = party.communities[0]
    b1 = party.buildings[c][0]
    members = _people(party, b1)
    outsider = _people(party, party.buildings[c][1])[0]

    def shown() -> dict[str, bool]:
        c_ = pt.party_identity_consents.c
        with gov.store.unit_of_work(write=False) as uow:
            return dict(uow.conn.execute(sa.select(c_.resident_id, c_.shown)).all())

    consents = {r: i % 2 == 0 for i, r in enumerate(members)}
    assert gov.party.record_consents(SYSTEM, consents) == len(members)
    assert shown() == consents
    for actor, batch, err, words in [
        (SYSTEM, {members[0]: False, outsider: True}, ConflictError, outsider),
        (SYSTEM, {members[0]: False, "R-NONE": False}, NotFound, "R-NONE"),
        (party.secretary[c], {members[0]: False}, PermissionDenied, "party.consent"),
    ]:
        with pytest.raises(err, match=words):
            gov.party.record_consents(actor, batch)
        assert shown() == consents
    assert gov.party.record_consents(SYSTEM, {outsider: False, members[0]: False}) == 2
    assert shown() == {**consents, outsider: False, members[0]: False}


def test_redact_masks_only_names_present() -> None:
    """Longest names first; names absent or of one character leave the text alone."""
    text = "欧阳小明和张三反映，电话13900000001。"
    assert redact(text, ["张三", "欧阳小明", "李四", "王", ""]) == \
        "欧阳**和张*反映，电话139****0001。"


def _posted_minutes(gov: Any, city: SmallCity) -> str:
    c = city.communities[0]
    sec = city.secretary[c]
    name = _name_of(gov, _people(city, city.buildings[c][0])[0])
    gov.council.add_members(sec, [CouncilMember(f"CM-{i}", c, CouncilSeat.RESIDENTS, f"代表{i}",
                                                dt.date(2019, 1, 1)) for i in range(5)])
    gov.council.hold_meeting(sec, "M-1", c, title=f"{name}提议的议事会",
                             held_on=dt.date(2019, 11, 29), attendees=["CM-0", "CM-1", "CM-2"],
                             minutes=f"{name}反映电梯故障；志愿者李雷旁听。")
    body = gov.affairs.post_minutes(sec, "A-1", "M-1").body
    posted = gov.affairs.board(c)[0]
    assert name not in body and name not in posted.title and name[0] + "*" in posted.title
    assert "李雷" in body  # not a resident's name: left as written
    return body


def _name_of(gov: Any, resident: str) -> str:
    with gov.store.unit_of_work(write=False) as uow:
        return str(uow.conn.execute(sa.select(t.residents.c.name).where(
            t.residents.c.id == resident)).scalar_one())


def test_postings_redact_the_community_names_they_contain(gov: Any, city: SmallCity) -> None:
    """The names found in a posting are the community's residents' (SQLite)."""
    assert "*" in _posted_minutes(gov, city)


def test_postings_redact_names_on_postgresql(postgres_url: str) -> None:
    """The same on PostgreSQL, whose text search is another function."""
    with cg.open(postgres_url, entrypoints=False) as gov:
        assert "*" in _posted_minutes(gov, build_small_city(gov))


_TRICKY = ["张三", "张三丰", "张三丰收", "欧阳小明", "李", "ab%_", "a\\b", "Ωμέγα", "😀笑脸",
           "王五"]


def _tricky_names(gov: Any, city: SmallCity) -> tuple[str, dict[str, bool]]:
    """Gives residents of the first community (one of them erased) and of the second the
    names of ``_TRICKY``; returns the community and which names are its living residents'."""
    c, other = city.communities[0], city.communities[1]
    mine = _people(city, city.buildings[c][0]) + _people(city, city.buildings[c][2])
    theirs = _people(city, city.buildings[other][0])
    placed = {"张三": mine[0], "张三丰": mine[1], "欧阳小明": mine[2], "李": mine[3],
              "ab%_": mine[4], "Ωμέγα": theirs[0], "😀笑脸": theirs[1], "王五": mine[5],
              "张三丰收": mine[6]}
    assert len(set(placed.values())) == len(placed)
    with gov.store.unit_of_work(write=True) as uow:
        for name, rid in placed.items():
            uow.conn.execute(t.residents.update().where(t.residents.c.id == rid)
                             .values(name=name, erased=name == "王五"))
        uow.commit()
    return c, {n: rid in mine and n != "王五" for n, rid in placed.items()}


def _reference(gov: Any, community: str, text: str) -> list[str]:
    """Every living resident's name of ``community`` (two characters or more) in ``text``,
    found by reading them all."""
    with gov.store.unit_of_work(write=False) as uow:
        names = uow.conn.execute(
            sa.select(t.residents.c.name)
            .join(t.households, t.households.c.id == t.residents.c.household_id)
            .join(t.buildings, t.buildings.c.code == t.households.c.building_code)
            .where(t.buildings.c.community_code == community,
                   t.residents.c.erased.is_(False))).scalars().all()
    return sorted({n for n in names if len(n) >= 2 and n in text})


def _names_found(gov: Any, community: str, text: str) -> list[str]:
    from community_governance.services.affairs import AffairsService

    with gov.party._svc._read(SYSTEM, "test") as op:
        return AffairsService._names(gov.affairs, op, community, text)


def _texts(names: list[str], seed: int) -> list[str]:
    import random

    rng = random.Random(seed)
    pieces = [*names, *_TRICKY, "议题：", "，", "\n", "反映", "张", "三", "丰", "%", "_", "a",
              "b", "\\", "李雷", "x" * 40]
    out = ["", "张", *(_TRICKY)]
    for _ in range(60):
        out.append("".join(rng.choice(pieces) for _ in range(rng.randint(1, 12))))
    out.append("".join(rng.choice(pieces) for _ in range(400)))  # long: the scan path
    return out


def _check_names_by_index(gov: Any, city: SmallCity) -> None:
    c, living = _tricky_names(gov, city)
    some = [_name_of(gov, r) for r in _people(city, city.buildings[c][1])[:3]]
    for text in _texts(some, 21):
        assert _names_found(gov, c, text) == _reference(gov, c, text), text
    assert _names_found(gov, c, "张三丰收到") == ["张三", "张三丰", "张三丰收"]
    assert living["张三"] and not living["王五"]


def test_posting_names_found_by_the_index_are_those_a_scan_finds(gov: Any,
                                                                  city: SmallCity) -> None:
    """The names a posting redacts, found through the name index (ranges of code points),
    are exactly those of the community's living residents that a scan finds in the text:
    prefixes of one another, wildcards, other scripts, erased and other communities'
    residents, long texts (SQLite)."""
    _check_names_by_index(gov, city)


def test_posting_names_found_by_the_index_on_postgresql(postgres_url: str) -> None:
    """The same on PostgreSQL (byte-order operators, whatever the collation)."""
    with cg.open(postgres_url, entrypoints=False) as gov:
        _check_names_by_index(gov, build_small_city(gov))
