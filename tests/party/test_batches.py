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
