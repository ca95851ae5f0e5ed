"""The resident ID number validator (居民身份证号码, GB 11643-1999)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from community_governance.domain.idnumber import (
    check_character,
    compose_id_number,
    mask_id_number,
    parse_id_number,
)
from community_governance.errors import IdNumberError

TODAY = dt.date(2019, 12, 31)
GOOD = compose_id_number("411281", dt.date(1980, 5, 17), 123)


def _with_check(first17: str) -> str:
    return first17 + check_character(first17)


def test_accepts_a_composed_number_and_decodes_it() -> None:
    """Decodes region, birth date and sex (odd sequence: a man) of a valid number."""
    idn = parse_id_number(GOOD, today=TODAY)
    assert (idn.region_code, idn.region_name, idn.birth_date, idn.sex) == (
        "411281", "义马市", dt.date(1980, 5, 17), "M")
    assert idn.warnings == ()


def test_rejects_a_wrong_check_character() -> None:
    """Rejects a number whose last character does not match the first 17 digits."""
    wrong = GOOD[:17] + ("0" if GOOD[17] != "0" else "1")
    with pytest.raises(IdNumberError, match="check character"):
        parse_id_number(wrong, today=TODAY)


def test_rejects_an_impossible_birth_date() -> None:
    """Rejects 30 February 1950 (19500230) even with a correct check character."""
    with pytest.raises(IdNumberError, match="not a real birth date"):
        parse_id_number(_with_check("41128119500230123"), today=TODAY)


def test_rejects_a_birth_date_in_the_future() -> None:
    """Rejects a birth date after today."""
    future = compose_id_number("411281", dt.date(2020, 1, 2), 12)
    with pytest.raises(IdNumberError, match="in the future"):
        parse_id_number(future, today=TODAY)


def test_rejects_an_unknown_province_code() -> None:
    """Rejects a number whose first two digits name no province (99)."""
    with pytest.raises(IdNumberError, match="province"):
        parse_id_number(compose_id_number("991281", dt.date(1980, 1, 1), 1), today=TODAY)


def test_accepts_an_unknown_county_level_code_with_a_warning() -> None:
    """Accepts 419999 (real province, no such county) and records a warning."""
    idn = parse_id_number(compose_id_number("419999", dt.date(1980, 1, 1), 1), today=TODAY)
    assert idn.region_name is None
    assert len(idn.warnings) == 1 and "419999" in idn.warnings[0]


def test_rejects_fifteen_digits_with_conversion_advice() -> None:
    """Rejects a 15-digit legacy number and says how to convert it."""
    with pytest.raises(IdNumberError, match="insert '19'"):
        parse_id_number("411281800517123", today=TODAY)


def test_normalises_a_lower_case_x() -> None:
    """Accepts a final lower-case x and stores it as X."""
    number = next(n for n in (compose_id_number("411281", dt.date(1980, 5, 17), k)
                              for k in range(1000)) if n.endswith("X"))
    idn = parse_id_number(number[:17] + "x", today=TODAY)
    assert idn.number == number


def test_accepts_an_elderly_yima_resident_born_before_the_code_existed() -> None:
    """Accepts 411281 for a resident born in 1950 (the code dates from 1989)."""
    idn = parse_id_number(compose_id_number("411281", dt.date(1950, 3, 8), 42), today=TODAY)
    assert idn.birth_date.year == 1950 and idn.warnings == ()


def test_rejects_a_number_typed_into_a_numeric_cell() -> None:
    """Rejects an int or float, advising to format the column as text."""
    with pytest.raises(IdNumberError, match="format the column as text"):
        parse_id_number(4.11281198005171e17, today=TODAY)


def test_error_messages_never_carry_the_full_number() -> None:
    """Masks the number in the error message."""
    wrong = GOOD[:17] + ("0" if GOOD[17] != "0" else "1")
    with pytest.raises(IdNumberError) as info:
        parse_id_number(wrong, today=TODAY)
    assert wrong not in str(info.value) and mask_id_number(wrong) in str(info.value)


regions = st.sampled_from(["411281", "411221", "110101", "370883", "510304", "440305"])
births = st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY)
sequences = st.integers(min_value=0, max_value=999)


@given(regions, births, sequences)
def test_every_composed_number_validates_and_round_trips(region: str, born: dt.date,
                                                         seq: int) -> None:
    """Decodes exactly the birth date and the sex (odd = M) it was composed with."""
    idn = parse_id_number(compose_id_number(region, born, seq), today=TODAY)
    assert idn.birth_date == born
    assert idn.sex == ("M" if seq % 2 else "F")
    assert idn.region_code == region


@given(regions, births, sequences, st.integers(min_value=0, max_value=17), st.data())
def test_every_single_character_corruption_is_rejected(
    region: str, born: dt.date, seq: int, position: int, data: st.DataObject
) -> None:
    """Rejects the number after any one character is replaced by another."""
    number = compose_id_number(region, born, seq)
    alphabet = "0123456789X" if position == 17 else "0123456789"
    other = data.draw(st.sampled_from([c for c in alphabet if c != number[position]]))
    corrupted = number[:position] + other + number[position + 1:]
    with pytest.raises(IdNumberError):
        parse_id_number(corrupted, today=TODAY)
