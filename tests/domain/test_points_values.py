"""The points module's values: the statement's totals and JSON form, the four-eyes thresholds
at their boundaries, an expiry run's report and the request fingerprint's exact form
(issue #13 items 4 and 11)."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from community_governance.domain.points import (
    AwardThreshold,
    EntryKind,
    ExpiryRun,
    PointsEntry,
    Statement,
    award_review,
    request_fingerprint,
)

AT = dt.datetime(2026, 12, 2, 2, 30, tzinfo=dt.UTC)
DAY = dt.date(2026, 12, 2)


def e(eid: int, kind: EntryKind, amount: int, after: int, reverses: int | None = None,
      reason: str = "") -> PointsEntry:
    return PointsEntry(eid, "R1", kind, amount, after, AT, DAY, f"k{eid}", reverses,
                       reason=reason)


def _statement() -> Statement:
    return Statement(
        "R1", dt.date(2026, 12, 1), dt.date(2026, 12, 31), opening=20,
        entries=(e(1, EntryKind.EARN, 10, 30, reason="垃圾分类督导"),
                 e(2, EntryKind.REDEEM, -4, 26, reason="洗衣液"),
                 e(3, EntryKind.EARN, 5, 31),
                 e(4, EntryKind.EXPIRE, -6, 25),
                 e(5, EntryKind.REVERSE, 4, 29, reverses=2),
                 e(6, EntryKind.REDEEM, -3, 26)),
        closing=26)


def test_statement_totals_count_only_their_own_kind() -> None:
    """Earned is earn entries only, redeemed is redeem entries only (as a positive number):
    expiries and reversals are in neither."""
    s = _statement()
    assert s.earned == 15
    assert s.redeemed == 7
    empty = Statement("R1", None, None, 0, (), 0)
    assert (empty.earned, empty.redeemed) == (0, 0)


def test_statement_as_dict_exact_form() -> None:
    s = _statement()
    d = s.as_dict()
    assert list(d) == ["resident_id", "start", "end", "opening", "closing", "earned",
                       "redeemed", "entries"]
    assert {k: v for k, v in d.items() if k != "entries"} == {
        "resident_id": "R1", "start": dt.date(2026, 12, 1), "end": dt.date(2026, 12, 31),
        "opening": 20, "closing": 26, "earned": 15, "redeemed": 7}
    assert len(d["entries"]) == 6
    assert d["entries"][0] == {
        "id": 1, "kind": "earn", "amount": 10, "balance_after": 30,
        "at": "2026-12-02T02:30:00+00:00", "day": "2026-12-02", "reason": "垃圾分类督导",
        "reverses_id": None}
    assert d["entries"][4] == {
        "id": 5, "kind": "reverse", "amount": 4, "balance_after": 29,
        "at": "2026-12-02T02:30:00+00:00", "day": "2026-12-02", "reason": "",
        "reverses_id": 2}
    assert [x["kind"] for x in d["entries"]] == [
        "earn", "redeem", "earn", "expire", "reverse", "redeem"]


NATIONAL = AwardThreshold()


@pytest.mark.parametrize(("amount", "month_before", "rule"), [
    (50, 0, None),  # exactly the per-entry threshold: not above it
    (51, 0, "entry"),
    (1, 0, None),
    (50, 150, None),  # takes the month to exactly 200
    (1, 200, "month"),
    (50, 151, "month"),
    (10, 195, "month"),  # 205: above 200 although 195 - 10 is not
    (51, 200, "entry"),  # the per-entry rule is named first
    (0, 500, "month"),
])
def test_award_review_national_thresholds(amount: int, month_before: int,
                                          rule: str | None) -> None:
    got = award_review(amount, month_before, NATIONAL)
    if rule is None:
        assert got is None
    elif rule == "entry":
        assert got == ("four-eyes rule: an award above 50 points in one entry needs a second "
                       "person's confirmation")
    else:
        assert got == ("four-eyes rule: awards above 200 points to one resident in a calendar "
                       f"month need a second person's confirmation ({month_before} awarded "
                       f"this month already, {amount} more asked)")


def test_award_review_uses_the_threshold_given() -> None:
    """A county's hook may lower the thresholds (Yima: 30 in one entry, 150 a month)."""
    county = AwardThreshold(per_entry=30, per_month=150)
    assert award_review(30, 120, county) is None
    assert award_review(31, 0, county) == (
        "four-eyes rule: an award above 30 points in one entry needs a second person's "
        "confirmation")
    assert award_review(30, 121, county) == (
        "four-eyes rule: awards above 150 points to one resident in a calendar month need a "
        "second person's confirmation (121 awarded this month already, 30 more asked)")
    assert (NATIONAL.per_entry, NATIONAL.per_month) == (50, 200)
    with pytest.raises(ValueError, match="per_entry"):
        AwardThreshold(per_entry=-1)
    with pytest.raises(ValueError, match="per_month"):
        AwardThreshold(per_month=-1)
    assert AwardThreshold(0, 0) == AwardThreshold(per_entry=0, per_month=0)


@given(amount=st.integers(0, 500), month_before=st.integers(0, 1000),
       per_entry=st.integers(0, 300), per_month=st.integers(0, 1000))
def test_award_review_waits_exactly_when_a_threshold_is_exceeded(
        amount: int, month_before: int, per_entry: int, per_month: int) -> None:
    got = award_review(amount, month_before, AwardThreshold(per_entry, per_month))
    assert (got is None) == (amount <= per_entry and month_before + amount <= per_month)


def test_expiry_run_reports_entries_and_failures() -> None:
    entries = [e(1, EntryKind.EXPIRE, -5, 0)]
    run = ExpiryRun(entries, {"R9": "balance row locked"})
    assert list(run) == entries and len(run) == 1
    assert run.failed == {"R9": "balance row locked"}
    assert run.ok is False
    clean = ExpiryRun(entries)
    assert clean.failed == {} and clean.ok is True and list(clean) == entries
    assert ExpiryRun().failed == {} and ExpiryRun() == []
    # the failures are its own copy: the caller's dict may change afterwards
    failures = {"R9": "locked"}
    copied = ExpiryRun((), failures)
    failures["R10"] = "gone"
    assert copied.failed == {"R9": "locked"}


def test_request_fingerprint_exact_form() -> None:
    """Fingerprints are stored beside idempotency keys, so their form must never drift: the
    blake2b-128 of ``key=repr(value)`` pairs in key order joined by the unit separator."""
    want = hashlib.blake2b(b"amount=5\x1fop='earn'", digest_size=16).hexdigest()
    assert request_fingerprint(op="earn", amount=5) == want
    assert request_fingerprint() == hashlib.blake2b(b"", digest_size=16).hexdigest()
