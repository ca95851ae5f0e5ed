"""Residents, households, moves and phone numbers (居民电子档案) at their boundaries (issue #13
item 11)."""

from __future__ import annotations

import datetime as dt

import pytest

from community_governance.domain.idnumber import compose_id_number, parse_id_number
from community_governance.domain.people import (
    ResidenceSpell,
    Resident,
    check_move,
    validate_phone,
)
from community_governance.errors import ValidationError
from tests.domain._exact import refused

D = dt.date


@pytest.mark.parametrize(("raw", "stored"), [
    (None, None), ("", None), ("  - ", None),
    ("13800000007", "13800000007"), ("138 0000 0007", "13800000007"),
    ("138-0000-0007", "13800000007"), ("(138)0000.0007", "13800000007"),
    ("１３８００００００07", "13800000007"), ("+8613800000007", "13800000007"),
    ("008613800000007", "13800000007"), ("+86 138 0000 0007", "13800000007"),
    ("0398-5812345", "03985812345"), ("010-12345678", "01012345678"),
    ("（0398）5812345", "03985812345"), ("+86 398 5812345", "03985812345"),
    ("0086 10 12345678", "01012345678"),
    ("+8619912345678", "19912345678"),
])
def test_valid_phones(raw: str | None, stored: str | None) -> None:
    assert validate_phone(raw) == stored


@pytest.mark.parametrize(("raw", "path", "message"), [
    ("138000a0007", "phone", "phone number '138****0007' holds characters other than digits; "
     "write the digits only, e.g. 138****0007 or 039****2345"),
    ("+1 202 555 0143", "phone", "phone number '+12*****0143' is not a mainland number (+86); a "
     "resident's phone must be a mainland mobile or landline"),
    ("5812345", "contact", "phone number '*******' has no area code: a landline is written with "
     "its area code, e.g. 039****2345 (义马 0398)"),
    ("58123456", "phone", "phone number '581*3456' has no area code: a landline is written with "
     "its area code, e.g. 039****2345 (义马 0398)"),
    ("12345678901", "phone", "phone number '123****8901' is not a valid mainland number "
     "(checked with libphonenumber): a mobile has 11 digits and starts with 13-19, a landline "
     "is 0 + area code + 7 or 8 digits; check the digits"),
    ("+86", "phone", "phone number '***' is not a valid mainland number "
     "(checked with libphonenumber): a mobile has 11 digits and starts with 13-19, a landline "
     "is 0 + area code + 7 or 8 digits; check the digits"),
    ("4006123456", "phone", "phone number '400***3456' is a shared cost number, not a mobile "
     "or landline a resident can be reached at"),
    ("95588", "phone", "phone number '*****' is not a valid mainland number "
     "(checked with libphonenumber): a mobile has 11 digits and starts with 13-19, a landline "
     "is 0 + area code + 7 or 8 digits; check the digits"),
])
# (CgovError masks every number in a message, the examples of the fix included)
def test_invalid_phones(raw: str, path: str, message: str) -> None:
    e = refused(ValidationError, f"{message} @ {path}", validate_phone, raw, path)
    assert e.path == path  # type: ignore[attr-defined]


def test_default_path_is_phone() -> None:
    refused(ValidationError, "phone number '***' is not a valid mainland number (checked with "
            "libphonenumber): a mobile has 11 digits and starts with 13-19, a landline is 0 + "
            "area code + 7 or 8 digits; check the digits @ phone", validate_phone, "+86")


def test_resident_derived_fields_and_repr() -> None:
    idn = parse_id_number(compose_id_number("411202", D(1960, 3, 15), 12), today=D(2026, 1, 1))
    r = Resident("R1", "王五", idn, "H1", phone="13800000007")
    assert r.birth_date == D(1960, 3, 15)
    assert r.sex == idn.sex
    assert r.age_on(D(2026, 3, 14)) == 65
    assert r.age_on(D(2026, 3, 15)) == 66
    assert r.age_on(D(2026, 2, 20)) == 65
    assert r.age_on(D(2026, 4, 1)) == 66
    assert repr(r) == (f"Resident(id='R1', name='王五', id_number={idn.masked!r}, "
                       "household_id='H1', phone='138****0007')")
    erased = Resident("R2", "", None, None)
    assert erased.birth_date is None and erased.sex is None and erased.age_on(D(2026, 1, 1)) is None
    assert repr(erased) == ("Resident(id='R2', name='', id_number=None, household_id=None, "
                            "phone=None)")


def test_residence_spells_and_moves() -> None:
    assert ResidenceSpell("R1", "H1", D(2026, 1, 1), D(2026, 1, 1)).end == D(2026, 1, 1)
    refused(ValidationError, "residence spell of R1 in H1 would end (2025-12-31) before it "
            "starts (2026-01-01): a spell ends on or after its first day @ end",
            ResidenceSpell, "R1", "H1", D(2026, 1, 1), D(2025, 12, 31))
    spell = ResidenceSpell("R1", "H1", D(2026, 1, 1))
    check_move("R1", None, D(2000, 1, 1))
    check_move("R1", spell, D(2026, 1, 1))
    check_move("R1", spell, D(2026, 1, 2))
    refused(ValidationError, "resident R1 moved into H1 on 2026-01-01; a move dated 2025-12-31 "
            "would end that residence spell before it starts. Give a date on or after "
            "2026-01-01, or correct the earlier move first @ on",
            check_move, "R1", spell, D(2025, 12, 31))


@pytest.mark.parametrize(("raw", "message"), [
    ("x13800000007", "phone number 'x13*****0007' holds characters other than digits; write the "
     "digits only, e.g. 138****0007 or 039****2345"),
    ("+a8613800000007", "phone number '+a8********0007' holds characters other than digits; write "
     "the digits only, e.g. 138****0007 or 039****2345"),
    ("+861234", "phone number '*******' is not a valid mainland number (checked with "
     "libphonenumber): a mobile has 11 digits and starts with 13-19, a landline is 0 + area "
     "code + 7 or 8 digits; check the digits"),
])
def test_more_phone_refusals(raw: str, message: str) -> None:
    refused(ValidationError, f"{message} @ phone", validate_phone, raw)


def test_a_0086_prefix_is_read_as_plus_86_in_refusals() -> None:
    from community_governance.domain.people import validate_phone
    from community_governance.errors import ValidationError

    with pytest.raises(ValidationError) as info:
        validate_phone("0086-1380000000a")
    assert str(info.value).startswith("phone number '+86*******000a' holds characters other "
                                      "than digits")
    assert validate_phone("0086 138 0000 0007") == "13800000007"
