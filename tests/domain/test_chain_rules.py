"""Hash chains (防篡改哈希链): the exact canonical bytes and every kind of break (issue #13
item 11)."""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import json
from decimal import Decimal

import pendulum
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from community_governance.domain.chain import (
    GENESIS,
    ChainBreak,
    _flat,
    canonical,
    first_break,
    link,
)


class Colour(enum.Enum):
    RED = "red"


class _NoOffset(dt.tzinfo):
    def utcoffset(self, d: dt.datetime | None) -> None:
        return None

    def dst(self, d: dt.datetime | None) -> None:
        return None

    def tzname(self, d: dt.datetime | None) -> str:
        return "?"


CST = dt.timezone(dt.timedelta(hours=8))


@pytest.mark.parametrize(("fields", "expected"), [
    ({"b": 1, "a": "x"}, '{"a":"x","b":1}'),
    ({"t": True, "n": None, "s": "李"}, '{"n":null,"s":"李","t":true}'),
    ({1: 2}, '{"1":2}'),
    ({"d": dt.date(2026, 1, 2)}, '{"d":"2026-01-02"}'),
    ({"m": Decimal("12.34")}, '{"m":1234}'),
    ({"m": Decimal("-0.01")}, '{"m":-1}'),
    ({"m": Decimal("5")}, '{"m":500}'),
    ({"e": Colour.RED}, '{"e":"red"}'),
    ({"t": dt.datetime(2026, 1, 2, 8, 3, 4, 5, tzinfo=CST)},
     '{"t":"2026-01-02T00:03:04.000005Z"}'),
    ({"t": dt.datetime(2026, 1, 1, 7, 0, tzinfo=CST)}, '{"t":"2025-12-31T23:00:00.000000Z"}'),
    ({"t": pendulum.datetime(2026, 3, 4, 5, 6, 7, tz="Asia/Shanghai")},
     '{"t":"2026-03-03T21:06:07.000000Z"}'),
    ({"l": [Decimal("1"), (dt.date(2026, 1, 1),)], "m": {"k": Colour.RED, 2: None}},
     '{"l":[100,["2026-01-01"]],"m":{"2":null,"k":"red"}}'),
    ({"x": 1.5} if False else {"b": False}, '{"b":false}'),
])
def test_canonical_bytes(fields: dict[object, object], expected: str) -> None:
    assert canonical(fields) == expected.encode()  # type: ignore[arg-type]


def test_timestamp_with_tzinfo_without_offset_takes_the_general_path() -> None:
    with pytest.raises(ValueError, match="timestamps in a chain must be timezone-aware"):
        canonical({"t": dt.datetime(2026, 1, 1, tzinfo=_NoOffset())})
    with pytest.raises(ValueError, match=r"^timestamps in a chain must be timezone-aware, got "
                       r"datetime\.datetime\(2026, 1, 1, 0, 0\)$"):
        canonical({"l": [dt.datetime(2026, 1, 1)]})
    # a datetime subclass in a list goes through the general path with the same text
    assert canonical({"l": [dt.datetime(2026, 1, 1, 8, tzinfo=CST)]}) == (
        b'{"l":["2026-01-01T00:00:00.000000Z"]}')


def test_canonical_refusals() -> None:
    with pytest.raises(ValueError, match=r"^0\.001 is not a whole number of fen$"):
        canonical({"m": Decimal("0.001")})
    with pytest.raises(TypeError, match=r"^float 1\.5 has no canonical encoding$"):
        canonical({"x": 1.5})
    with pytest.raises(TypeError, match=r"^set set\(\) has no canonical encoding$"):
        canonical({"x": [set()]})


def test_link_is_sha256_of_prev_newline_canonical() -> None:
    fields = {"a": 1}
    want = hashlib.sha256(b"abc\n" + b'{"a":1}').hexdigest()
    assert link("abc", fields) == want
    assert link(GENESIS, fields) == hashlib.sha256(b'\n{"a":1}').hexdigest()
    assert GENESIS == ""
    assert len(want) == 64


def _rows(n: int) -> list[tuple[object, str | None, dict[str, object]]]:
    rows: list[tuple[object, str | None, dict[str, object]]] = []
    prev = GENESIS
    for i in range(n):
        f = {"n": i}
        prev = link(prev, f)
        rows.append((i + 1, prev, f))
    return rows


def test_first_break_on_an_intact_chain() -> None:
    rows = _rows(3)
    assert first_break("t", "c", rows) is None
    assert first_break("t", "c", rows, head=rows[-1][1]) is None
    assert first_break("t", "c", []) is None
    assert first_break("t", "c", [], head="") is None


def test_first_break_names_the_first_changed_row() -> None:
    rows = _rows(4)
    rows[1] = (2, rows[1][1], {"n": 99})
    rows[2] = (3, None, {"n": 2})
    b = first_break("points_entries", "resident:R1", rows)
    assert b == ChainBreak("points_entries", 2, "resident:R1",
                           f"stored hash {rows[1][1][:12]}… but its fields and the previous "  # type: ignore[index]
                           f"row's hash give {link(rows[0][1], {'n': 99})[:12]}… (the row was "  # type: ignore[arg-type]
                           "changed, or a row before it was removed or inserted)")
    assert str(b) == f"points_entries row 2 (chain resident:R1): {b.detail}"  # type: ignore[union-attr]


def test_first_break_missing_hash_and_removed_row() -> None:
    rows = _rows(3)
    assert first_break("t", "c", [rows[0], (2, None, rows[1][2])]) == ChainBreak(
        "t", 2, "c", "it has no hash")
    b = first_break("t", "c", [rows[0], rows[2]])
    assert b is not None and b.row_id == 3


def test_first_break_head() -> None:
    rows = _rows(3)
    b = first_break("t", "c", rows[:2], head=rows[2][1])
    assert b == ChainBreak("t", 2, "c",
                           f"the chain head stored beside the journal is {rows[2][1][:12]}… but "  # type: ignore[index]
                           f"the last row's hash is {rows[1][1][:12]}… (rows at the end were "  # type: ignore[index]
                           "removed, or the head was written by hand)")
    assert first_break("t", "c", [], head="ab" * 32) == ChainBreak(
        "t", None, "c", f"the chain head stored beside the journal is {'ab' * 6}… but the last "
        "row's hash is (none)… (rows at the end were removed, or the head was written by hand)")
    assert first_break("t", "c", rows, head="") == ChainBreak(
        "t", 3, "c", f"the chain head stored beside the journal is (empty)… but the last row's "
        f"hash is {rows[2][1][:12]}… (rows at the end were removed, or the head was written by "  # type: ignore[index]
        "hand)")


def test_general_path_converts_to_utc_whatever_the_machine_zone(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    try:
        assert canonical({"l": [dt.datetime(2026, 1, 1, 8, tzinfo=CST)]}) == (
            b'{"l":["2026-01-01T00:00:00.000000Z"]}')
    finally:
        monkeypatch.undo()
        time.tzset()


# --- the field-by-field encoding is json.dumps to the byte (the hashes of stored rows) -------

_leaf = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(10**20), max_value=10**20),
    st.text(max_size=12), st.dates(),
    st.datetimes(timezones=st.sampled_from([dt.UTC, CST, dt.timezone(dt.timedelta(hours=-5))])),
    st.decimals(places=2, min_value=-10**6, max_value=10**6, allow_nan=False),
    st.sampled_from([Colour.RED]),
)
_value = st.recursive(_leaf, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.text(max_size=4), inner, max_size=3), max_leaves=6)


def _reference(fields: dict[object, object]) -> bytes:
    """The encoding as first written: ``json.dumps`` of the plain fields."""
    return json.dumps(_flat(fields), sort_keys=True, ensure_ascii=False,  # type: ignore[arg-type]
                      separators=(",", ":")).encode()


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.one_of(st.text(max_size=6), st.integers(0, 20)), _value, max_size=8))
def test_canonical_equals_json_dumps_of_the_plain_fields(fields: dict[object, object]) -> None:
    assert canonical(fields) == _reference(fields)  # type: ignore[arg-type]


def test_canonical_of_a_journal_row_equals_json_dumps() -> None:
    fields = {"resident_id": "R0001", "kind": "earn", "amount": 5, "balance_after": 105,
              "at": pendulum.datetime(2026, 12, 3, 1, 2, 3, 456789, tz="UTC"),
              "day": dt.date(2026, 12, 3), "month": "2026-12", "community_code": None,
              "idempotency_key": 'k"\\\n李\u2028', "request": "0" * 32, "reverses_id": None,
              "activity_id": None, "reason": "李 \t", "actor": "system:bench"}
    assert canonical(fields) == _reference(fields)  # type: ignore[arg-type]
    assert link("ab", fields) == hashlib.sha256(b"ab\n" + _reference(fields)).hexdigest()  # type: ignore[arg-type]
