"""The case lifecycle and the case helpers at their boundaries (issue #13 item 11)."""

from __future__ import annotations

import pytest

from community_governance.domain.cases import (
    CaseEvent,
    CaseStatus,
    allowed_events,
    mask_name,
    next_status,
    percentile,
    scrub_personal_data,
    validate_satisfaction,
)
from community_governance.errors import InvalidTransition, ValidationError

S, E = CaseStatus, CaseEvent

#: Written out from the lifecycle of issue #5, independently of the library's table.
LIFECYCLE = {
    None: {E.REPORT: S.REPORTED},
    S.REPORTED: {E.ASSIGN: S.ASSIGNED, E.ESCALATE: S.REPORTED},
    S.ASSIGNED: {E.ASSIGN: S.ASSIGNED, E.START: S.IN_PROGRESS, E.RESOLVE: S.RESOLVED,
                 E.ESCALATE: S.REPORTED},
    S.IN_PROGRESS: {E.RESOLVE: S.RESOLVED, E.ESCALATE: S.REPORTED},
    S.RESOLVED: {E.CLOSE: S.CLOSED, E.REOPEN: S.REOPENED},
    S.CLOSED: {E.REOPEN: S.REOPENED},
    S.REOPENED: {E.ASSIGN: S.ASSIGNED, E.ESCALATE: S.REPORTED},
}


@pytest.mark.parametrize("status", [None, *S])
@pytest.mark.parametrize("event", list(E))
def test_every_status_and_event(status: CaseStatus | None, event: CaseEvent) -> None:
    want = LIFECYCLE.get(status, {}).get(event)
    if want is None:
        with pytest.raises(InvalidTransition, match=f"cannot be {event.value} "
                           rf"\({event.chinese}\); allowed from here: "):
            next_status(status, event)
    else:
        assert next_status(status, event) is want
    assert set(allowed_events(status)) == set(LIFECYCLE.get(status, {}))


def test_the_refusal_message_is_exact() -> None:
    with pytest.raises(InvalidTransition) as e:
        next_status(S.CLOSED, E.START)
    assert str(e.value) == ("a case 已关闭 (closed) cannot be start (开始办理); allowed from "
                            "here: reopen")
    with pytest.raises(InvalidTransition) as e:
        next_status(None, E.CLOSE)
    assert str(e.value) == ("a case (no case) (none) cannot be close (关闭); allowed from here: "
                            "report")
    assert next_status(S.ASSIGNED, "start") is S.IN_PROGRESS  # type: ignore[arg-type]


@pytest.mark.parametrize(("value", "ok"), [
    (None, True), (1, True), (5, True), (0, False), (6, False), (True, False), (3.0, False),
    ("3", False),
])
def test_satisfaction_boundaries(value: object, ok: bool) -> None:
    if ok:
        assert validate_satisfaction(value) == value  # type: ignore[arg-type]
    else:
        with pytest.raises(ValidationError) as e:
            validate_satisfaction(value)  # type: ignore[arg-type]
        assert str(e.value) == (f"satisfaction must be a whole number from 1 (非常不满意) to 5 "
                                f"(非常满意), got {value!r} @ satisfaction")


@pytest.mark.parametrize(("text", "want"), [
    ("联系电话13912345678", "联系电话139****5678"),
    ("身份证41128119800101001X。", "身份证4112**********001X。"),
    ("座机0398-1234567", "座机039****4567"),  # the one scanner's form (as mask_phone)
    ("任期2019-01-01..2019-06-30", "任期2019-01-01..2019-06-30"),  # dates: no landline
    ("编号139123456789", "编号139123456789"),  # 12 digits: not a mobile number
    ("电话12912345678", "电话12912345678"),  # 12x is no mobile prefix
    ("", ""),
])
def test_scrub_exact_forms(text: str, want: str) -> None:
    assert scrub_personal_data(text) == want


@pytest.mark.parametrize(("name", "want"), [
    ("张三", "张*"), ("张三丰", "张**"), ("欧阳明华", "欧阳**"), ("欧阳", "欧*"), ("王", "*"),
    (" 李四 ", "李*"), ("", ""), (None, None), ("司马光", "司马*"),
])
def test_mask_name_exact(name: str | None, want: str | None) -> None:
    assert mask_name(name) == want


@pytest.mark.parametrize(("values", "q", "want"), [
    ([], 50, None), ([3.0], 90, 3.0), ([1, 2, 3, 4], 0, 1.0), ([1, 2, 3, 4], 100, 4.0),
    ([1, 2, 3, 4], 50, 2.5), ([4, 1, 3, 2], 25, 1.75), ([10, 20], 90, 19.0),
])
def test_percentile_table(values: list[float], q: float, want: float | None) -> None:
    assert percentile(values, q) == want


@pytest.mark.parametrize("q", [-0.1, 100.1])
def test_percentile_refuses_q_out_of_range(q: float) -> None:
    with pytest.raises(ValidationError, match=f"percentile must be 0-100, got {q}"):
        percentile([1.0], q)
