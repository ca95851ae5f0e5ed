"""ID numbers (居民身份证号码): every refusal's exact message and path, the boundaries of the
birth date, and the exact masked forms (issue #13 item 11)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from community_governance.domain.idnumber import (
    IdNumber,
    check_character,
    compose_id_number,
    mask_id_number,
    mask_phone,
    parse_id_number,
)
from community_governance.errors import IdNumberError

TODAY = dt.date(2026, 12, 2)
GOOD = "41128119800101001X"  # composed for 1980-01-01, sequence 001
LEGACY = ("is a 15-digit legacy ID number (first-generation card); convert it to 18 characters: "
          "insert '19' before the 2-digit birth year (after the 6-digit region) and append the "
          "ISO 7064 MOD 11-2 check character, or ask the resident for the new card @ $.x")
AS_NUMBER = ("an ID number arrived as a number, so leading zeros or the last digits may already "
             "be lost; format the column as text and enter it again @ $.x")
BAD_DATE = "41128119801301001" + check_character("41128119801301001")


@pytest.mark.parametrize(("raw", "message"), [
    (411281198001010011, AS_NUMBER),
    (12.0, AS_NUMBER),
    (True, AS_NUMBER),
    (None, "an ID number must be text, got NoneType @ $.x"),
    (b"x", "an ID number must be text, got bytes @ $.x"),
    ("411281198001010", f"4112*******1010 {LEGACY}"),
    ("411281800101001", f"4112*******1001 {LEGACY}"),
    ("41128119800101001", "4112*********1001 is not an 18-character ID number: expected 17 "
     "digits and a final digit or X, got 17 characters @ $.x"),
    ("4112811980010100100", "4112***********0100 is not an 18-character ID number: expected "
     "17 digits and a final digit or X, got 19 characters @ $.x"),
    ("411281198001010010", "4112**********0010: the check character is '0' but the first 17 "
     "digits give 'X' (ISO 7064 MOD 11-2); a digit was probably mistyped @ $.x"),
    ("991281198001010012", "9912**********0012: '99' is not a province code (省级行政区划代码); "
     "the first two digits must name a province, e.g. 41 for 河南省 @ $.x"),
    (BAD_DATE, f"4112**********001{BAD_DATE[-1]}: digits 7-14 (19801301) are not a real birth "
     "date (YYYYMMDD) @ $.x"),
    ("411281202612030019", "4112**********0019: the birth date 2026-12-03 is in the future "
     "(today is 2026-12-02) @ $.x"),
    ("41128118791231001X", "4112**********001X: the birth year 1879 is not plausible (before "
     "1880) @ $.x"),
])
def test_every_refusal_names_the_rule_and_the_fix(raw: object, message: str) -> None:
    with pytest.raises(IdNumberError) as e:
        parse_id_number(raw, today=TODAY, path="$.x")
    assert str(e.value) == message
    assert e.value.path == "$.x"


@pytest.mark.parametrize(("raw", "birth", "sex"), [
    ("411281202612020021", dt.date(2026, 12, 2), "F"),  # born today: accepted
    ("411281188001010029", dt.date(1880, 1, 1), "F"),  # the earliest plausible year
    (GOOD, dt.date(1980, 1, 1), "M"),
    (" 41128119800101001x ", dt.date(1980, 1, 1), "M"),  # spaces and a lower-case x
    ("4112 8119 8001 0100 1X", dt.date(1980, 1, 1), "M"),  # spaces inside
])
def test_accepted_numbers_decode(raw: str, birth: dt.date, sex: str) -> None:
    got = parse_id_number(raw, today=TODAY)
    assert (got.birth_date, got.sex, got.region_code, got.region_name) == (
        birth, sex, "411281", "义马市")
    assert got.number == raw.replace(" ", "").upper()
    assert got.warnings == () and got.revealed


def test_an_unknown_region_is_accepted_with_a_warning() -> None:
    got = parse_id_number(compose_id_number("419999", dt.date(1980, 1, 1), 2), today=TODAY)
    assert got.region_name is None
    assert got.warnings == (
        "region code 419999 is not in the national table of county-level codes; accepted "
        "because old codes are missing from public tables, check it against the card",)


def test_masked_forms_are_exact() -> None:
    idn = parse_id_number(GOOD, today=TODAY)
    assert idn.masked == "4112**********001X"
    assert str(idn) == "4112**********001X" and repr(idn) == "IdNumber('4112**********001X')"
    hidden = idn.hidden()
    assert hidden.number == "4112**********001X" and not hidden.revealed
    assert hidden.masked == "4112**********001X"
    assert hidden.hidden() is hidden
    assert (hidden.birth_date, hidden.sex) == (idn.birth_date, idn.sex)
    assert isinstance(hidden, IdNumber)


@pytest.mark.parametrize(("value", "masked"), [
    ("41128119800101001X", "4112**********001X"), ("123456789", "1234*6789"),
    ("12345678", "********"), ("1", "*"), ("", ""),
])
def test_mask_id_number_table(value: str, masked: str) -> None:
    assert mask_id_number(value) == masked


@pytest.mark.parametrize(("value", "masked"), [
    ("13903981234", "139****1234"), ("03983456789", "039****6789"), ("12345678", "123*5678"),
    ("1234567", "*******"), ("1", "*"), ("", ""), (None, None),
])
def test_mask_phone_table(value: str | None, masked: str | None) -> None:
    assert mask_phone(value) == masked


@pytest.mark.parametrize(("region", "seq", "ok"), [
    ("411281", 0, True), ("411281", 999, True), ("411281", 1000, False), ("411281", -1, False),
    ("41128", 1, False), ("4112811", 1, False), ("41128a", 1, False),
])
def test_compose_id_number_boundaries(region: str, seq: int, ok: bool) -> None:
    if ok:
        got = compose_id_number(region, dt.date(1980, 1, 1), seq)
        assert got[:17] == f"{region}19800101{seq:03d}"
        assert got[17] == check_character(got[:17])
        assert parse_id_number(got, today=TODAY).sex == ("M" if seq % 2 else "F")
    else:
        with pytest.raises(ValueError, match="region must be 6 digits and sequence 0-999"):
            compose_id_number(region, dt.date(1980, 1, 1), seq)


@pytest.mark.parametrize(("first17", "check"), [
    ("11010519491231002", "X"), ("44052418800101001", "4"), ("41128119800101001", "X"),
    ("41128119800101002", "8"),
])
def test_check_character_known_values(first17: str, check: str) -> None:
    assert check_character(first17) == check


def test_defaults_and_exact_texts() -> None:
    """The default path, the hidden flag and the composer's message, exactly."""
    with pytest.raises(IdNumberError) as e:
        parse_id_number("1", today=TODAY)
    assert e.value.path == "id_number"
    assert parse_id_number(GOOD, today=TODAY).hidden().revealed is False
    with pytest.raises(ValueError) as v:
        compose_id_number("4112", dt.date(1980, 1, 1), 1)
    assert str(v.value) == "region must be 6 digits and sequence 0-999"
    got = parse_id_number(compose_id_number("419999", dt.date(1980, 1, 1), 2), today=TODAY)
    assert got.warnings[0].endswith(
        "; accepted because old codes are missing from public tables, check it against the card")


STRAY = ("not a digit; an ID number has only digits and, last, X (a letter O for a zero, or a "
         "stray mark, is the usual slip) @ $.x")


@pytest.mark.parametrize(("raw", "message"), [
    # a letter O for a zero, at each end and in the middle
    ("O1128119800101001X", f"O112**********001X: character 1 is 'O', {STRAY}"),
    ("411281198001010O1X", f"4112**********0O1X: character 16 is 'O', {STRAY}"),
    # an X anywhere but last
    ("4112811980010100X1", f"4112**********00X1: character 17 is 'X', {STRAY}"),
    ("X11281198001010011", f"X112**********0011: character 1 is 'X', {STRAY}"),
    # a letter other than X last (x is upper-cased and accepted)
    ("41128119800101001A", f"4112**********001A: character 18 is 'A', {STRAY}"),
    # the first of two slips is named
    ("4112811980O1010O1X", f"4112**********0O1X: character 11 is 'O', {STRAY}"),
    # digits of another script are no ID number's digits (NFKC keeps them)
    ("41128119800101001\u0661", f"4112**********001\u0661: character 18 is '\u0661', {STRAY}"),
    ("411281198001010\u06611X", f"4112**********0\u06611X: character 16 is '\u0661', {STRAY}"),
    # 15 characters: a legacy number with a slip
    ("41128180010100O", f"4112*******100O: character 15 is 'O', {STRAY}"),
    # other lengths: the length is the reason
    ("4112811980010100O1X", "4112***********0O1X is not an 18-character ID number: expected "
                            "17 digits and a final digit or X, got 19 characters @ $.x"),
    ("4112811980010100OX", f"4112**********00OX: character 17 is 'O', {STRAY}"),
    ("411281198001010O1", "4112*********10O1 is not an 18-character ID number: expected 17 "
                          "digits and a final digit or X, got 17 characters @ $.x"),
    ("4112811980010100O", "4112*********100O is not an 18-character ID number: expected 17 "
                          "digits and a final digit or X, got 17 characters @ $.x"),
    ("41128118001010O", f"4112*******010O: character 15 is 'O', {STRAY}"),
    ("4112811800101O", "4112******101O is not an 18-character ID number: expected 17 digits "
                       "and a final digit or X, got 14 characters @ $.x"),
    ("4112818001010O01", "4112********0O01 is not an 18-character ID number: expected 17 digits "
                         "and a final digit or X, got 16 characters @ $.x"),
])
def test_a_stray_character_is_named(raw: str, message: str) -> None:
    with pytest.raises(IdNumberError) as info:
        parse_id_number(raw, today=TODAY, path="$.x")
    assert str(info.value) == message


def test_full_width_and_lower_case_are_normalised() -> None:
    wide = "".join(chr(ord(c) + 0xFEE0) for c in GOOD[:17]) + "ｘ"
    assert parse_id_number(wide, today=TODAY).number == GOOD
    assert parse_id_number(" " + GOOD.lower() + " ", today=TODAY).number == GOOD


def _reference_check(first17: str) -> str:
    """The check character by the standard's definition: digit times 2^(17-i) mod 11."""
    total = sum(int(c) * pow(2, 17 - i, 11) for i, c in enumerate(first17))
    return "10X98765432"[total % 11]


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_check_character_matches_the_definition(first17: str) -> None:
    assert check_character(first17) == _reference_check(first17)


@pytest.mark.parametrize("first17", ["４１１２８１１９８００１０１００１", "4112811980010100"])
def test_check_character_beyond_ascii_digits_keeps_its_old_answer(first17: str) -> None:
    """Full-width digits and other lengths take the general path (int() of each digit, as
    many digits as there are weights)."""
    digits = [int(c) for c in first17]
    weights = [pow(2, 17 - i, 11) for i in range(17)]
    assert check_character(first17) == "10X98765432"[
        sum(d * w for d, w in zip(digits, weights, strict=False)) % 11]


@given(st.dates(min_value=dt.date(1000, 1, 1), max_value=dt.date(9999, 12, 31)),
       st.integers(0, 999))
def test_composed_numbers_spell_the_birth_date(birth: dt.date, seq: int) -> None:
    got = compose_id_number("411281", birth, seq)
    assert got[:17] == f"411281{birth:%Y%m%d}{seq:03d}"
    assert got[17] == _reference_check(got[:17])


@given(st.text(alphabet="0123456789", min_size=8, max_size=8))
def test_the_birth_date_is_read_as_a_calendar_date(ymd: str) -> None:
    """Digits 7-14 decode (or are refused) exactly as ``date(YYYY, MM, DD)`` would."""
    first = f"411281{ymd}123"
    number = first + check_character(first)
    try:
        want: dt.date | None = dt.date(int(ymd[:4]), int(ymd[4:6]), int(ymd[6:]))
    except ValueError:
        want = None
    if want is not None and dt.date(1880, 1, 1) <= want <= TODAY:
        assert parse_id_number(number, today=TODAY).birth_date == want
        return
    with pytest.raises(IdNumberError):
        parse_id_number(number, today=TODAY)
