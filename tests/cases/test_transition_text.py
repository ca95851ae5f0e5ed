"""The cases' transition chain: the hand-written canonical text equals the general one."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pendulum
from hypothesis import given, settings
from hypothesis import strategies as st

from community_governance.domain.chain import canonical_text, link
from community_governance.services.cases.common import (
    CASE_CHAIN_COLUMNS,
    chain_transition,
    transition_text,
)

_text = st.text(max_size=12)
_opt = st.none() | _text
_when = st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2090, 1, 1),
                     timezones=st.sampled_from([dt.UTC, dt.timezone(dt.timedelta(hours=8))]))


@settings(max_examples=300, deadline=None)
@given(case_id=_text, seq=st.integers(1, 10**6), event=_text, frm=_opt, to=_text, actor=_text,
       at=_when, pendulum_at=st.booleans(), level=st.integers(0, 5), unit=_text, handler=_opt,
       note=_text, prev=st.text(alphabet="0123456789abcdef", max_size=64))
def test_transition_text_is_the_canonical_text_of_the_row(
        case_id: str, seq: int, event: str, frm: str | None, to: str, actor: str,
        at: dt.datetime, pendulum_at: bool, level: int, unit: str, handler: str | None,
        note: str, prev: str) -> None:
    when = pendulum.instance(at) if pendulum_at else at
    row: dict[str, Any] = dict(zip(CASE_CHAIN_COLUMNS, (
        case_id, seq, event, frm, to, actor, when, level, unit, handler, note), strict=True))
    fields = {c: row[c] for c in CASE_CHAIN_COLUMNS}
    assert transition_text(row) == canonical_text(fields)
    assert chain_transition(prev, row) == link(prev, fields) == row["chain_hash"]
