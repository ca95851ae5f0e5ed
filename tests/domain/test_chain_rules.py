"""Hash chains (防篡改哈希链): the exact canonical bytes and every kind of break (issue #13
item 11)."""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
from decimal import Decimal

import pendulum
import pytest

from community_governance.domain.chain import GENESIS, ChainBreak, canonical, first_break, link


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
