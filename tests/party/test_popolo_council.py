"""The councils in Popolo's shapes: Organization, Membership, Event, Motion, VoteEvent with
Counts, Vote; validated against the vendored Popolo schemas."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from community_governance.domain.council import CouncilMember, CouncilSeat
from community_governance.io.popolo import export_popolo
from community_governance.testing.city import SmallCity

from .conftest import SYSTEM

pytest.importorskip("jsonschema")

DAY = dt.date(2019, 11, 29)


def _council(gov: Any, city: SmallCity) -> str:
    c = city.communities[0]
    sec = city.secretary[c]
    resident = city.all_residents()[0]
    gov.council.add_members(sec, [
        CouncilMember("CM-0", c, CouncilSeat.RESIDENTS, "居民1", dt.date(2019, 1, 1),
                      resident_id=resident),
        *(CouncilMember(f"CM-{i}", c, CouncilSeat.PARTNER, f"代表{i}", dt.date(2019, 1, 1))
          for i in range(1, 5))])
    gov.council.hold_meeting(sec, "M-1", c, title="第四季度议事会", held_on=DAY,
                             attendees=["CM-0", "CM-1", "CM-2"], minutes="议定。")
    gov.council.vote(sec, "MO-1", "M-1", title="加装电梯", kind="major",
                     votes={"CM-0": "for", "CM-1": "for", "CM-2": "against"})
    return c


def test_the_council_export_validates_and_masks(gov: Any, city: SmallCity) -> None:
    """The council, its members, meeting, motion, vote event with counts and votes are
    exported, valid against the Popolo schemas; names masked, voters pseudonymous and the
    same ids as the members' persons."""
    from community_governance.testing.popolo import validate_popolo

    c = _council(gov, city)
    doc = export_popolo(gov, actor=SYSTEM, within=c)
    assert validate_popolo(doc) == []
    council = [o for o in doc["organizations"] if o["id"] == f"council:{c}"]
    assert council and council[0]["parent_id"] == f"unit:{c}"
    assert doc["meta"]["classifications"]["council/consultative"] == "协商议事会"
    [event] = doc["events"]
    assert event["start_date"] == "2019-11-29" and len(event["attendees"]) == 3
    assert all(a.get("name", "").endswith("*") for a in event["attendees"])
    [motion] = doc["motions"]
    assert (motion["result"], motion["classification"]) == ("pass", "major")  # 2 of 3
    [ve] = doc["vote_events"]
    assert {x["option"]: x["value"] for x in ve["counts"]} == {"yes": 2, "no": 1, "abstain": 0}
    voters = {v["voter_id"] for v in doc["votes"]}
    members = {m["person_id"] for m in doc["memberships"]
               if m["organization_id"] == f"council:{c}"}
    assert len(voters) == 3 and voters <= members
    assert not any(v.startswith(("R", "CM-")) for v in voters)
    assert "居民1" not in str(doc)


def test_revealed_with_a_reason(gov: Any, city: SmallCity) -> None:
    """Full names and keys only when revealed with a reason."""
    from community_governance.testing.popolo import validate_popolo

    c = _council(gov, city)
    doc = export_popolo(gov, actor=SYSTEM, within=c, reveal=True, reason="议事会档案")
    assert validate_popolo(doc) == []
    assert {a["name"] for a in doc["events"][0]["attendees"]} == {"居民1", "代表1", "代表2"}
