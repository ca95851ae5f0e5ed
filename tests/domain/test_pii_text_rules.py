"""The free-text scanner's rules at their boundaries: dates, provinces, prefixes, landline
shapes, run lengths and the refusal's exact words (issue #13 item 11)."""

from __future__ import annotations

import datetime as dt

import pytest

from community_governance.domain import pii_text as p
from community_governance.domain.idnumber import compose_id_number
from community_governance.domain.pii_text import (
    Found,
    PersonalNumber,
    check_public_text,
    find_personal_numbers,
    mask_personal_numbers,
    normalise_digits,
    published,
)
from community_governance.errors import ValidationError
from tests.domain._exact import refused

K = PersonalNumber


def kinds(text: str) -> list[tuple[PersonalNumber, int, int, str]]:
    return [(f.kind, f.start, f.end, f.value) for f in find_personal_numbers(text)]


@pytest.mark.parametrize(("y", "m", "d", "ok"), [
    (1880, 1, 1, True), (1879, 12, 31, False), (2099, 12, 31, True), (2100, 1, 1, False),
    (2024, 2, 29, True), (2023, 2, 29, False), (2000, 13, 1, False), (2000, 0, 1, False),
])
def test_real_date(y: int, m: int, d: int, ok: bool) -> None:
    assert p._real_date(y, m, d) is ok


def test_id18_shapes() -> None:
    good = compose_id_number("411281", dt.date(1951, 1, 1), 1)
    assert p._id18(good)
    assert p._id18(good[:17] + "X") and p._id18(good[:17] + "x")
    assert not p._id18(good[:17] + "Y")
    assert not p._id18(good[:17])
    assert not p._id18(good + "1")
    assert not p._id18("A" + good[1:])
    assert not p._id18("99" + good[2:])  # no such province
    assert not p._id18(good[:6] + "18791231" + good[14:])
    assert not p._id18(good[:6] + "19510230" + good[14:])
    assert p._id18(good[:6] + "18800101" + good[14:])


def test_id15_shapes() -> None:
    assert p._id15("411281510101001")
    assert not p._id15("41128151010100")
    assert not p._id15("4112815101010012")
    assert not p._id15("99128151010100A")
    assert not p._id15("991281510101001")
    assert not p._id15("411281511301001")  # month 13
    assert not p._id15("41128151010100X")
    assert p._id15("411281000228001")
    assert not p._id15("411281000229001")  # 19YY: 1900 was no leap year


@pytest.mark.parametrize(("d", "ok"), [
    ("13800000007", True), ("19912345678", True), ("14000000000", True), ("15000000000", True),
    ("16000000000", True), ("17000000000", True), ("18000000000", True),
    ("12000000000", False), ("10000000000", False), ("23800000007", False),
    ("1380000000", False), ("138000000071", False), ("1380000000X", False),
])
def test_mobile_shapes(d: str, ok: bool) -> None:
    assert p._mobile(d) is ok


@pytest.mark.parametrize(("d", "ok"), [
    ("03985812345", True), ("039858123456", True), ("0398581234", False),
    ("0398581234567", False), ("00398581234", False), ("13985812345", False),
    ("0398581234X", False),
])
def test_landline_shapes(d: str, ok: bool) -> None:
    assert p._landline(d) is ok


@pytest.mark.parametrize(("start", "end", "cuts", "ok"), [
    (0, 11, frozenset({0, 11}), True),
    (0, 11, frozenset({0, 3, 11}), True),
    (0, 11, frozenset({0, 4, 11}), True),
    (0, 11, frozenset({0, 5, 11}), False),
    (0, 11, frozenset({0, 2, 11}), False),
    (0, 11, frozenset({0, 4, 8, 11}), False),
    (2, 13, frozenset({0, 2, 6, 13}), True),  # measured from the span's start
    (2, 13, frozenset({0, 2, 5, 13}), True),
    (2, 13, frozenset({0, 2, 4, 13}), False),
])
def test_landline_typed_as_one(start: int, end: int, cuts: frozenset[int], ok: bool) -> None:
    assert p._landline_shape(start, end, cuts) is ok


def test_pieces_longest_first() -> None:
    assert p._pieces_at("8613800000007", 0) == [(0, 2, 13, K.MOBILE)]
    assert p._pieces_at("008613800000007", 0) == [(0, 4, 15, K.MOBILE)]
    assert p._pieces_at("13800000007", 0) == [(0, 0, 11, K.MOBILE)]
    assert p._pieces_at("x13800000007", 1) == [(1, 1, 12, K.MOBILE)]
    assert p._pieces_at("039858123456", 0) == [(0, 0, 12, K.LANDLINE), (0, 0, 11, K.LANDLINE)]
    assert p._pieces_at("411281510101001", 0) == [(0, 0, 15, K.LEGACY_ID_NUMBER)]
    idn = compose_id_number("411281", dt.date(1951, 1, 1), 1)
    assert p._pieces_at(idn, 0)[0] == (0, 0, 18, K.ID_NUMBER)
    assert p._pieces_at("12345", 0) == []


@pytest.mark.parametrize(("text", "found"), [
    ("电话8613800000007", [(K.MOBILE, 4, 15, "13800000007")]),
    ("电话+86 13800000007", [(K.MOBILE, 6, 17, "13800000007")]),
    ("0086 138 0000 0007", [(K.MOBILE, 5, 18, "13800000007")]),
    ("0398-5812345", [(K.LANDLINE, 0, 12, "03985812345")]),
    ("039-85812345", [(K.LANDLINE, 0, 12, "03985812345")]),
    ("03-985812345", []),
    ("03985-812345", []),
    ("0398 581 2345", []),
    ("1380000000", []),  # ten digits
    ("138 0000 000", []),  # a run of 12 characters, ten digits
    ("13800000007 ", [(K.MOBILE, 0, 11, "13800000007")]),
    ("a13800000007b", [(K.MOBILE, 1, 12, "13800000007")]),
    ("138000000071", []),  # the run goes on: no number ends where it ends
    ("213800000007", []),
    ("1 3800000007", [(K.MOBILE, 0, 12, "13800000007")]),  # a space inside, as typed
    ("13800000007 13900000001", [(K.MOBILE, 0, 11, "13800000007"),
                                 (K.MOBILE, 12, 23, "13900000001")]),
    ("55 13800000007", [(K.MOBILE, 3, 14, "13800000007")]),
    ("1380000000713900000001", [(K.MOBILE, 0, 11, "13800000007"),
                                (K.MOBILE, 11, 22, "13900000001")]),
    ("13800000007-03985812345", [(K.MOBILE, 0, 11, "13800000007"),
                                 (K.LANDLINE, 12, 23, "03985812345")]),
    ("１３８００００００07", [(K.MOBILE, 0, 11, "13800000007")]),
    ("", []), ("没有数字", []),
])
def test_found_spans(text: str, found: list[tuple[PersonalNumber, int, int, str]]) -> None:
    assert kinds(text) == found


def test_masked_forms_by_kind() -> None:
    assert Found(K.MOBILE, 0, 11, "13800000007").masked == "138****0007"
    assert Found(K.LANDLINE, 0, 11, "03985812345").masked == "039****2345"
    assert Found(K.LEGACY_ID_NUMBER, 0, 15, "411281510101001").masked == "4112*******1001"
    idn = compose_id_number("411281", dt.date(1951, 1, 1), 1)
    assert Found(K.ID_NUMBER, 0, 18, idn).masked == idn[:4] + "*" * 10 + idn[-4:]


def test_mask_keeps_the_text_around() -> None:
    assert mask_personal_numbers("a13800000007b13900000001c") == "a138****0007b139****0001c"
    assert mask_personal_numbers("无") == "无"
    assert normalise_digits("０１２３４５６７８９Ｘｘ＋－‐‑‒–—−．　\u00a0\u2009\u202f") == (
        "0123456789Xx+-------.    ")


def test_public_text_refusal_is_exact() -> None:
    assert check_public_text(None, "x") is None
    assert check_public_text("", "x") == ""
    assert check_public_text("义马市财政局", "name") == "义马市财政局"
    assert check_public_text("办公室 0398-5812345", "note") == "办公室 0398-5812345"
    idn = compose_id_number("411281", dt.date(1951, 1, 1), 1)
    masked = idn[:4] + "*" * 10 + idn[-4:]
    e = refused(ValidationError,
                f"counterparty is published, and the text holds an ID number ({masked}), a "
                "mobile number (138****0007): personal numbers (ID or mobile numbers) may not "
                "be written to a public field; remove the number (write the name only, e.g. "
                "'李先生', and keep contact numbers in the resident's record) @ counterparty",
                check_public_text, f"{idn} 0398-5812345 13800000007", "counterparty")
    assert e.path == "counterparty"  # type: ignore[attr-defined]
    refused(ValidationError,
            "note is published, and the text holds an ID number (4112*******1001): personal "
            "numbers (ID or mobile numbers) may not be written to a public field; remove the "
            "number (write the name only, e.g. '李先生', and keep contact numbers in the "
            "resident's record) @ note", check_public_text, "旧证411281510101001", "note")


def test_published_validator_names_the_attribute() -> None:
    class Attr:
        name = "item_name"

    published(None, Attr(), "大米")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"^item_name is published") as e:
        published(None, Attr(), "大米 13800000007")  # type: ignore[arg-type]
    assert e.value.path == "item_name"


@pytest.mark.parametrize(("text", "found"), [
    ("5513800000007", []),  # 55 is no country prefix
    ("86138000000075513800000007", []),  # the second number has no prefix of its own
    ("861380000000713900000001", [(K.MOBILE, 2, 13, "13800000007"),
                                  (K.MOBILE, 13, 24, "13900000001")]),
    ("41128151010100113800000007", [(K.LEGACY_ID_NUMBER, 0, 15, "411281510101001"),
                                    (K.MOBILE, 15, 26, "13800000007")]),
])
def test_numbers_run_together(text: str, found: list[tuple[PersonalNumber, int, int, str]]) -> None:
    assert kinds(text) == found


def test_birth_dates_are_read_from_the_right_digits() -> None:
    good = compose_id_number("411281", dt.date(1951, 1, 1), 1)
    assert not p._id18(good[:6] + "19510431" + good[14:])  # 31 April
    assert not p._id15("411281030229001")  # 1903 was no leap year
    assert p._id15("411281200229001")  # 1920 was


def test_a_number_seen_before_is_found_at_its_own_place() -> None:
    """The same run of digits twice, and again in another text, gives each occurrence its own
    span (the per-run results are remembered and placed by offset)."""
    from community_governance.domain.pii_text import find_personal_numbers

    first = find_personal_numbers("电话138-0000-0007，再打138-0000-0007")
    assert [(f.start, f.end, f.value) for f in first] == [(2, 15, "13800000007"),
                                                         (18, 31, "13800000007")]
    again = find_personal_numbers("x138-0000-0007")
    assert [(f.start, f.end) for f in again] == [(1, 14)]


def test_runs_with_too_few_digits_are_skipped_but_not_numbers() -> None:
    """A key such as 2019-000001 (ten digits) holds no number; eleven digits with the same
    separators can be one."""
    from community_governance.domain.pii_text import mask_personal_numbers

    assert mask_personal_numbers('["resident:Y2019-000001"]') == '["resident:Y2019-000001"]'
    assert mask_personal_numbers("138 0000 0007") == "138****0007"


# a grid code of sub-district 001 has the shape of a 15-digit legacy ID number (1900-10-01)
GRID15 = "411202001001001"
LEGACY = "411281510101001"  # a legacy ID number: born 1951-01-01


def test_a_unit_code_named_as_such_is_shown_and_nothing_else() -> None:
    text = f"grid {GRID15}: 旧证 {LEGACY}"
    assert "grid 4112*******1001: 旧证 4112*******1001" == mask_personal_numbers(text)
    assert f"grid {GRID15}: 旧证 4112*******1001" == mask_personal_numbers(text, units=[GRID15])
    # the caller is believed: what it names a unit is shown (so it names only codes looked up
    # in the store, never a code as typed)
    assert f"grid {GRID15}: 旧证 {LEGACY}" == mask_personal_numbers(text,
                                                                    units=[GRID15, LEGACY])


@pytest.mark.parametrize("text", [
    f"grid {GRID15[:6]} {GRID15[6:]}",  # typed with a separator: not the code as stored
    "grid ４１１２０２００１００１００１",  # full-width
])
def test_only_the_code_as_written_is_shown(text: str) -> None:
    assert "grid 4112*******1001" == normalise_digits(mask_personal_numbers(text, units=[GRID15]))


@pytest.mark.parametrize("code", ["13800000007", "4112020010010", "011202001001001", "",
                                  "41120200100100X"])
def test_only_codes_of_a_unit_codes_shape_are_honoured(code: str) -> None:
    """A mobile number, a code of a length no level has, or a leading zero is never shown,
    whatever the caller says."""
    text = f"{code} 13800000007 {LEGACY}"
    assert "13800000007" not in mask_personal_numbers(text, units=[code])
    assert LEGACY not in mask_personal_numbers(text, units=[code])
