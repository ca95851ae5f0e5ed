"""Case categories, locations, reporters, names and the case's own rules, every branch (issue
#13 item 11)."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from community_governance.domain.cases import (
    Case,
    CaseCategory,
    CaseEvent,
    CaseStatus,
    Channel,
    RouteLevel,
    RouteStep,
    check_location,
    check_reporter,
    mask_name,
    percentile,
)
from community_governance.errors import ValidationError
from tests.domain._exact import refused


def test_chinese_terms() -> None:
    assert [c.chinese for c in Channel] == ["手机APP", "电话", "来访", "微信公众号"]
    assert [lv.chinese for lv in RouteLevel] == ["网格", "社区", "办事处", "县直部门"]
    assert [lv.key for lv in RouteLevel] == ["grid", "community", "subdistrict", "county"]
    assert CaseStatus.REOPENED.chinese == "重新办理"
    assert CaseEvent.RESCHEDULE.chinese == "期限重算"
    assert RouteStep(2, "411202001001").level is RouteLevel.COMMUNITY


@pytest.mark.parametrize("code", ["a", "heating", "a1_b", "x" * 40])
def test_category_codes(code: str) -> None:
    c = CaseCategory(code, "名", keywords=["k"])
    assert c.code == code and c.keywords == ("k",) and c.group == "社区事务"


@pytest.mark.parametrize("code", ["", "1a", "_a", "Heat", "a-b", "x" * 41, "a b", "供暖"])
def test_bad_category_codes(code: str) -> None:
    refused(ValidationError, f"category code {code!r} must be lower-case letters, digits and _ "
            "(at most 40), starting with a letter, e.g. 'heating' @ code",
            CaseCategory, code, "名")


def test_category_needs_a_name() -> None:
    refused(ValidationError, "category heating needs a name @ name", CaseCategory, "heating", " ")


def _case(status: CaseStatus, deadline: dt.date) -> Case:
    t = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)
    return Case("C1", "repair", Channel.APP, "漏水", status, RouteLevel.GRID,
                "411202001001-W01", None, "411202001001-B0001", "411202001001-W01",
                "411202001001", None, None, None, None, t, deadline, t)


@pytest.mark.parametrize("status", list(CaseStatus))
def test_open_and_overdue(status: CaseStatus) -> None:
    d = dt.date(2026, 1, 9)
    case = _case(status, d)
    is_open = status in {CaseStatus.REPORTED, CaseStatus.ASSIGNED, CaseStatus.IN_PROGRESS,
                         CaseStatus.REOPENED}
    assert case.open is is_open
    assert case.overdue_on(d) is False
    assert case.overdue_on(d + dt.timedelta(days=1)) is is_open
    assert case.overdue_on(d - dt.timedelta(days=1)) is False


@pytest.mark.parametrize(("lat", "long"), [
    (None, None), (0, 0), (-90, -180), (90, 180), (34.7, 111.9), (-90.0, 180.0),
])
def test_good_locations(lat: float | None, long: float | None) -> None:
    assert check_location(lat, long) is None


@pytest.mark.parametrize(("lat", "long", "message"), [
    (34.7, None, "a location needs both coordinates: lat is given but long is not; give both "
     "(WGS-84) or neither @ long"),
    (None, 111.9, "a location needs both coordinates: long is given but lat is not; give both "
     "(WGS-84) or neither @ lat"),
    (90.0001, 0, "lat must be within -90..90, got 90.0001 @ lat"),
    (-90.5, 0, "lat must be within -90..90, got -90.5 @ lat"),
    (0, 180.5, "long must be within -180..180, got 180.5 @ long"),
    (0, -181, "long must be within -180..180, got -181 @ long"),
    (math.nan, 0, "lat must be a number (WGS-84 degrees), got nan @ lat"),
    (0, math.inf, "long must be a number (WGS-84 degrees), got inf @ long"),
    (True, 0, "lat must be a number (WGS-84 degrees), got True @ lat"),
    (0, "1", "long must be a number (WGS-84 degrees), got '1' @ long"),
])
def test_bad_locations(lat: object, long: object, message: str) -> None:
    refused(ValidationError, message, check_location, lat, long)


def test_check_reporter() -> None:
    assert check_reporter("resident", "R1", None) == "R1"
    assert check_reporter("resident", "R1", "R1") == "R1"
    assert check_reporter("staff", "S1", "R2") == "R2"
    assert check_reporter("staff", "S1", None) is None
    assert check_reporter("system", "import", "R3") == "R3"
    refused(ValidationError, "resident R1 may report only as themselves, not as R2: leave "
            "reporter_id out (it is the caller), or have community staff record the case for "
            "R2 @ reporter_id", check_reporter, "resident", "R1", "R2")


@pytest.mark.parametrize("surname", ["欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟",
                                     "公孙", "慕容", "令狐"])
def test_mask_name_compound_surnames(surname: str) -> None:
    assert mask_name(surname + "明") == surname + "*"
    assert mask_name(surname + "明华") == surname + "**"
    assert mask_name(surname) == surname[0] + "*"  # two characters: a one-character surname


@pytest.mark.parametrize(("name", "want"), [
    ("张", "*"), ("张三", "张*"), ("  ", ""), ("王小明", "王**"), ("欧", "*"), ("Ab", "A*"),
])
def test_mask_name_short(name: str, want: str) -> None:
    assert mask_name(name) == want


def test_percentile_more() -> None:
    assert percentile(iter([5, 1]), 50) == 3.0
    assert percentile([1, 2, 3], 50) == 2.0
    assert isinstance(percentile([1, 2, 3], 50), float)
    assert isinstance(percentile([1, 3], 50), float)
    assert percentile([0, 10, 20, 30, 40], 90) == pytest.approx(36.0)
    assert percentile([0, 10, 20], 75) == 15.0
    refused(ValidationError, "percentile must be 0-100, got 101 @ q", percentile, [1], 101)
    assert percentile([], 101) is None  # no values: nothing to check
