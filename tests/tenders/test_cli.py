"""``cgov tenders ...`` on a SQLite file, in Yima and in 湖滨区: a whole round step by step
(need, project, publish, bid, seat, open, score, award, sign, accept, pay), the lists as text
and JSON, the commitments, the disclosure and the OCDS export (validated); writes need a named
actor; refusals exit non-zero with the rule and nothing written."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import community_governance
from community_governance.cli import _load, cli
from community_governance.domain.access import Actor
from community_governance.io import ocds
from community_governance.testing.city import build_small_city
from tests.orgs.conftest import Clock, World, plugins_for
from tests.tenders.helpers import MARKS, PRICES, SYSTEM, bidders, fund, panel_members


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    """A click runner with every command loaded."""
    if "tenders" not in cli.commands:
        _load()
    return CliRunner()


@pytest.fixture(params=["411281", "411202"], ids=["yima", "hubin"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, World]]:
    """A SQLite file with the small city, money in the books and three active bidders."""
    url = f"sqlite:///{tmp_path / 'tenders.db'}"
    clock = Clock()
    county = str(request.param)
    with community_governance.open(url, plugins_for(county), entrypoints=False,
                                   clock=clock, create=True) as gov:
        city = build_small_city(gov, county)
        c = city.communities[0]
        w = World(gov, city, clock, c, city.staff[c], city.subdistrict_staff[c[:9]])
        fund(w)
        bidders(w)
        yield url, w


def _as(actor: Actor) -> str:
    return f"{actor.kind.value}:{actor.id}"


def _run(runner: CliRunner, now: str, *args: str, code: int | None = 0) -> Any:
    """Run ``cgov`` at county time ``now``; ``code=None``: a refusal (a non-zero code other
    than a usage error)."""
    res = runner.invoke(cli, list(args), catch_exceptions=False,
                        env={"CGOV_NOW": f"{now}+08:00", "CGOV_ACTOR": None})
    if code is None:
        assert res.exit_code not in (0, 2), res.output
        assert "error" in res.output
    else:
        assert code == res.exit_code, res.output
    return res


def test_a_round_step_by_step(runner: CliRunner, db: tuple[str, World]) -> None:
    url, w = db
    staff, officer = _as(w.staff), _as(w.officer)
    t0 = "2019-03-01T09:00"
    d = ("--db", url)
    # a write without a named actor is refused, nothing written
    res = _run(runner, t0, "tenders", "need", w.community, "--title", "老年人日间照料",
               "--category", "elderly_day_care", "--estimate", "80000", *d, code=2)
    assert "nothing was written" in res.output
    _run(runner, t0, "tenders", "need", w.community, "--title", "老年人日间照料",
         "--category", "elderly_day_care", "--estimate", "80000", "--id", "N1", *d,
         "--as", staff)
    out = _run(runner, t0, "tenders", "project", "N1", "--budget", "80000", "--year", "2019",
               "--id", "P1", *d, "--as", officer).stdout
    assert out.startswith("P1\t") and "80000" in out
    pub = json.loads(_run(runner, t0, "tenders", "publish", "P1", "--title",
                          "2019年老年人日间照料服务采购", "--lot", "日间照料中心运营:80000",
                          "--id", "T1", *d, "--as", officer, "--json").stdout)
    lot_id = pub["lots"][0]["id"]
    deadline = dt.datetime.fromisoformat(pub["deadline"]).astimezone(
        dt.timezone(dt.timedelta(hours=8)))
    bids = {}
    for oid in ("B1", "B2", "B3"):
        got = json.loads(_run(runner, "2019-03-05T10:00", "tenders", "bid", str(lot_id), oid,
                              "--price", PRICES[oid], "--proposal", f"{oid}的方案", *d,
                              "--as", staff, "--json").stdout)
        bids[oid] = got["id"]
        assert 64 == len(got["commitment"]) and got["nonce"]
    # a second bid by one bidder on one lot: refused
    res = _run(runner, "2019-03-05T10:00", "tenders", "bid", str(lot_id), "B1", "--price",
               "70000", "--proposal", "again", *d, "--as", staff, code=None)
    assert "one bid per bidder per lot" in res.output
    published = json.loads(_run(runner, "2019-03-05T10:00", "tenders", "commitments", "T1",
                                *d, "--json").stdout)
    assert [None] * 3 == [c["bidder"] for c in published]
    show = _run(runner, "2019-03-05T10:00", "tenders", "show", "T1", *d, "--as",
                officer).stdout
    assert 3 == show.count("sealed")
    for m in panel_members(w):
        _run(runner, "2019-03-05T10:00", "tenders", "seat", "T1", m, "--name", f"评审{m}", *d,
             "--as", officer)
    after = (deadline + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    opened = _run(runner, after, "tenders", "open", "T1", *d, "--as", officer).stdout
    assert 3 == opened.count("valid") and "INVALID" not in opened
    for oid, bid_id in bids.items():
        for m in panel_members(w):
            _run(runner, after, "tenders", "score", str(bid_id), m, *d, "--as", staff,
                 *[a for k, v in MARKS[oid].items() for a in ("--mark", f"{k}={v}")])
    rank = json.loads(_run(runner, after, "tenders", "ranking", str(lot_id), *d, "--as",
                           staff, "--json").stdout)
    assert ["B1", "B3", "B2"] == [r["org_id"] for r in rank]
    lot = json.loads(_run(runner, after, "tenders", "award", str(lot_id), *d, "--as",
                          officer, "--json").stdout)
    assert bids["B1"] == lot["winner_bid_id"]
    # signing within the standstill period is refused
    sign_args = ("tenders", "sign", str(lot_id), "--start", "2019-05-01", "--end",
                 "2019-12-31", "--deliverable", "q2_report:第二季度服务报告:2019-06-30",
                 "--deliverable", "q4_report:年度服务报告:2019-12-20", "--instalment",
                 "31200:q2_report", "--instalment", "46800:q4_report", "--id", "C1", *d,
                 "--as", officer)
    _run(runner, after, *sign_args, code=None)
    later = (dt.date.fromisoformat(lot["standstill_until"]) + dt.timedelta(days=1))
    out = _run(runner, f"{later}T10:00", *sign_args).stdout
    assert out.startswith("C1\t服务社B1\t78000")
    # paying before acceptance is refused; after it, a disbursement of the funds ledger
    _run(runner, "2019-07-02T10:00", "tenders", "pay", "C1", "1", *d, "--as", staff, code=None)
    _run(runner, "2019-07-02T10:00", "tenders", "accept", "C1", "q2_report", *d, "--as", staff)
    pay = json.loads(_run(runner, "2019-07-02T10:00", "tenders", "pay", "C1", "1", *d,
                          "--as", staff, "--json").stdout)
    with community_governance.open(url, plugins_for(w.county), entrypoints=False,
                                   clock=w.clock) as gov:
        dis = gov.funds.disbursement(SYSTEM, pay["id"])
        for role in dis.required_roles:
            gov.funds.approve(Actor.system(f"approver-{role.value}"), dis.id, as_role=role)
        gov.funds.pay(SYSTEM, dis.id, voucher="ZF-C1-1", on=dt.date(2019, 7, 3))
    pays = _run(runner, "2019-07-04T10:00", "tenders", "payments", "C1", *d, "--as",
                staff).stdout
    assert "31200.00" in pays and "paid" in pays
    # the lot's journal as text (it once failed on keys the service does not give)
    hist = _run(runner, "2019-07-04T10:00", "tenders", "history", str(lot_id), *d, "--as",
                officer).stdout.splitlines()
    assert "1\tpublish\t- → open\t2019-03-01" == hist[0]
    assert hist[-1].startswith(f"{len(hist)}\tsign\tawarded → contracted\t")
    # the lists, the disclosure and the OCDS export
    listed = json.loads(_run(runner, "2019-07-04T10:00", "tenders", "list", *d, "--as",
                             officer, "--json").stdout)
    assert ["T1"] == [t["id"] for t in listed]
    assert "已签合同" in _run(runner, "2019-07-04T10:00", "tenders", "list", *d, "--as",
                           officer).stdout
    text = _run(runner, "2019-07-04T10:00", "tenders", "disclosure", "--within", w.community,
                *d).stdout
    assert "服务社B1" in text and "31200.00" in text
    res = _run(runner, "2019-07-04T10:00", "tenders", "ocds", "--within", w.community,
               "--check", "--prefix", "ocds-abc123-", *d)
    pkg = json.loads(res.stdout)
    assert "6 releases checked" in res.stderr and "all valid" in res.stderr
    rec = pkg["records"][0]
    assert "ocds-abc123-T1" == rec["ocid"]
    assert [] == ocds.validate_release(rec["compiledRelease"])
    rel = json.loads(_run(runner, "2019-07-04T10:00", "tenders", "ocds", "--within",
                          w.community, "--packaging", "release", *d).stdout)
    assert ["planning", "tender", "award", "contract", "implementation"] == [
        r["tag"][0] for r in rel["releases"]]
    assert rel["releases"][0]["ocid"].startswith("ocds-cgov00-")


def test_a_bad_prefix_and_a_bad_lot_are_refused(runner: CliRunner,
                                                db: tuple[str, World]) -> None:
    url, w = db
    res = _run(runner, "2019-03-01T09:00", "tenders", "ocds", "--within", w.community,
               "--prefix", "bad", "--db", url, code=None)
    assert "ocid prefix" in res.output
    res = _run(runner, "2019-03-01T09:00", "tenders", "publish", "P9", "--title", "x",
               "--lot", "no-ceiling", "--db", url, "--as", _as(w.officer), code=2)
    assert "TITLE:CEILING" in res.output
