"""Community-affairs disclosure (社区事务公开): postings built from the records (decisions,
progress, minutes, evaluation results), redacted, with a posting period, acknowledgements and
objections; the board as Chinese HTML and JSON."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

import community_governance as cg
from community_governance.domain.council import CouncilMember, CouncilSeat
from community_governance.errors import ConflictError, PermissionDenied, ValidationError
from community_governance.io.affairs import render_html, render_json
from community_governance.testing.city import SmallCity

from .conftest import NOW, SYSTEM, Clock, tree_of

DAY = dt.date(2019, 11, 29)


def _decided(gov: Any, city: SmallCity) -> str:
    """A council, a meeting whose minutes name a resident and a phone, a decision."""
    c = city.communities[0]
    sec = city.secretary[c]
    gov.council.add_members(sec, [CouncilMember(f"CM-{i}", c, CouncilSeat.RESIDENTS, f"代表{i}",
                                                dt.date(2019, 1, 1)) for i in range(5)])
    gov.council.hold_meeting(sec, "M-1", c, title="第四季度议事会", held_on=DAY,
                             attendees=[f"CM-{i}" for i in range(4)],
                             minutes="居民1反映电梯故障，联系电话13900000001。")
    gov.council.vote(sec, "MO-1", "M-1", title="加装电梯",
                     votes={f"CM-{i}": "for" for i in range(3)})
    gov.council.decide(sec, "D-1", "MO-1", summary="联系施工单位勘察", owner="SEC-X",
                       working_days=5)
    return c


def test_postings_are_built_from_the_records_and_redacted(gov: Any, city: SmallCity) -> None:
    """The decision, its progress and the minutes are posted without retyping; the minutes
    lose the resident's name and the phone number."""
    c = _decided(gov, city)
    sec = city.secretary[c]
    d = gov.affairs.post_decision(sec, "A-1", "D-1", days=7)
    assert "联系施工单位勘察" in d.body and "赞成3" in d.body and "2019-12-06" in d.body
    assert (d.posted_on, d.until) == (NOW.date(), NOW.date() + dt.timedelta(days=6))
    m = gov.affairs.post_minutes(sec, "A-2", "M-1")
    assert "居民1" not in m.body and "居*" in m.body
    assert "13900000001" not in m.body and "139****0001" in m.body
    assert "出席成员：4人" in m.body and "通过" in m.body
    gov.council.complete(sec, "D-1", on=dt.date(2019, 12, 5))
    p = gov.affairs.post_progress(sec, "A-3", "D-1")
    assert "已于2019-12-05办结（按期）" in p.body
    with pytest.raises(ValidationError, match="5 to 90"):
        gov.affairs.post_notice(sec, "A-4", c, title="x", body="y", days=2)
    with pytest.raises(ConflictError, match="exists already"):
        gov.affairs.post_notice(sec, "A-1", c, title="x", body="y")
    with pytest.raises(PermissionDenied):
        gov.affairs.post_notice(city.grid_leader[city.grids[c][0]], "A-5", c, title="x",
                                body="y")
    assert [x.id for x in gov.affairs.board(c)] == ["A-1", "A-2", "A-3"]


def test_residents_acknowledge_and_object_within_the_period(gov: Any, city: SmallCity,
                                                           clock: Clock) -> None:
    """Residents of the community acknowledge once and object during the 公示期; the office
    answers; after the period no objection is taken."""
    c = _decided(gov, city)
    sec = city.secretary[c]
    gov.affairs.post_decision(sec, "A-1", "D-1", days=7)
    rs = [r for h in city.households[city.buildings[c][0]] for r in city.residents[h]]
    gov.affairs.acknowledge(cg.Actor.resident(rs[0]), "A-1", rs[0])
    gov.affairs.acknowledge(cg.Actor.resident(rs[1]), "A-1", rs[1])
    with pytest.raises(ConflictError, match="already"):
        gov.affairs.acknowledge(cg.Actor.resident(rs[0]), "A-1", rs[0])
    with pytest.raises(PermissionDenied):
        gov.affairs.acknowledge(cg.Actor.resident(rs[0]), "A-1", rs[2])
    other = city.residents[city.households[city.buildings[city.communities[1]][0]][0]][0]
    with pytest.raises(ValidationError, match="residents of"):
        gov.affairs.acknowledge(cg.Actor.resident(other), "A-1", other)
    gov.affairs.object(cg.Actor.resident(rs[2]), "O-1", "A-1", rs[2], text="时限太长")
    gov.affairs.answer(sec, "O-1", answer="已与施工单位协调")
    with pytest.raises(ConflictError, match="answered already"):
        gov.affairs.answer(sec, "O-1", answer="again")
    board = gov.affairs.board(c, on=NOW.date())
    assert (board[0].acknowledged, board[0].objections) == (2, 1)
    clock.now = NOW.add(days=7)
    with pytest.raises(ConflictError, match="open to objections"):
        gov.affairs.object(cg.Actor.resident(rs[3]), "O-2", "A-1", rs[3], text="晚了")
    assert gov.affairs.board(c, on=clock.now.date()) == []


def test_evaluation_results_are_posted_in_aggregate_only_above_the_minimum(
        gov: Any, city: SmallCity, county: str) -> None:
    """The posting adds up the published results' grades, names no member, and says how many
    results were withheld."""
    c = city.communities[0]
    gov.registry.add_party_orgs(SYSTEM, tree_of(city, c))
    b1 = city.buildings[c][0]
    m = city.residents[city.households[b1][0]][0]
    gov.registry.add_party_members(SYSTEM, f"PG-{b1}", [m], since=dt.date(2018, 1, 1))
    round_ = gov.party.open_evaluation(SYSTEM, "EV", c, title="2019年度群众评议党员",
                                       period_start=dt.date(2019, 12, 1),
                                       period_end=dt.date(2019, 12, 20), member_ids=[m])
    near = [b for b in city.buildings[c] if (round_.electorate.value == "grid" and
            city.grid_of_building(b) == city.grid_of_building(b1)) or b == b1]
    voters = [r for b in near for h in city.households[b] for r in city.residents[h] if r != m]
    gov.party.cast_ballots(SYSTEM, "EV", [(v, m, "优秀") for v in voters])
    with pytest.raises(ConflictError, match="still open"):
        gov.affairs.post_evaluation(city.secretary[c], "A-E", "EV")
    gov.party.close_evaluation(SYSTEM, "EV")
    p = gov.affairs.post_evaluation(city.secretary[c], "A-E", "EV")
    assert m not in p.body and "居民1" not in p.body
    if county == "411202":  # 5 ballots < 8: withheld
        assert "公布结果：0名" in p.body and "优秀0票" in p.body
    else:
        assert "公布结果：1名" in p.body and "优秀11票" in p.body


def test_the_board_renders_as_chinese_html_and_json(gov: Any, city: SmallCity) -> None:
    """A self-contained printable page (no scripts), escaped, in Chinese or English; JSON with
    the same postings; numbers masked again."""
    c = _decided(gov, city)
    sec = city.secretary[c]
    gov.affairs.post_minutes(sec, "A-2", "M-1")
    gov.affairs.post_notice(sec, "A-3", c, title="便民服务站调整开放时间",
                            body="<b>周六</b>上午开放")
    board = gov.affairs.board(c)
    page = render_html(board, "连银社区", NOW.date())
    assert page.startswith("<!DOCTYPE html>") and 'lang="zh-CN"' in page
    assert "社区事务公开" in page and "会议纪要" in page and "服务调整" in page
    assert "<script" not in page and "&lt;b&gt;周六" in page
    assert "13900000001" not in page
    en = render_html(board, "Lianyin", NOW.date(), lang="en")
    assert "community affairs disclosure" in en and "service change" in en
    data = json.loads(render_json(board, c, NOW.date()))
    assert [p["id"] for p in data["postings"]] == ["A-2", "A-3"]
    assert data["postings"][1]["kind_zh"] == "服务调整"
