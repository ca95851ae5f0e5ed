"""The public disclosure of awards and contracts: who, what, how much; nothing personal."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from community_governance.domain.access import Actor
from community_governance.io.tenders import render_json, render_text
from tests.orgs.conftest import World
from tests.tenders.helpers import SYSTEM, sign, walk


def test_the_public_reads_who_won_what_for_how_much(world: World) -> None:
    """Anyone (Actor.public) reads the award and the contract with what was paid; the panel,
    its names and the proposals do not appear; Chinese and English."""
    r = walk(world, "awarded")
    sign(world, r)
    world.clock.set(2019, 7, 2, 10)
    g = world.gov
    g.tenders.accept(world.staff, "C1", "q2_report")
    d = g.tenders.request_payment(world.staff, "C1", 1, on=dt.date(2019, 7, 2))
    for role in d.required_roles:
        g.funds.approve(Actor.system(f"approver-{role.value}"), d.id, as_role=role)
    g.funds.pay(SYSTEM, d.id, voucher="ZF-1", on=dt.date(2019, 7, 3))
    data = g.tenders.disclosure_data(within=world.county, year=2019)
    (award,) = data["awards"]
    assert ("服务社B1", "78000.00", 3) == (award["winner"], award["amount"], award["bids"])
    assert (Decimal("31200.00"), "C1") == (Decimal(award["contract"]["paid"]),
                                           award["contract"]["id"])
    zh, en = render_text(data), render_text(data, "en")
    assert "中标人: 服务社B1" in zh and "公开招标" in zh and "已支付: 31200.00" in zh
    assert "Winner: 服务社B1" in en and "Paid: 31200.00" in en
    doc = json.loads(render_json(data))
    assert "政府购买服务中标及合同公开" == doc["title"]
    text = zh + en + render_json(data)
    for m in r.members:
        assert f"评审{m}" not in text
    assert "服务方案" not in text  # no proposal text


def test_commitments_are_published_and_named_after_the_opening(world: World) -> None:
    """Before the opening the public sees commitments without bidders; after it, with."""
    r = walk(world, "opened")
    public = world.gov.tenders.commitments("T1")
    assert {b.org_id for b in r.bids.values()} == {c["bidder"] for c in public}
