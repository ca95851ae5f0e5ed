"""Households (户) and residents (居民): the resident electronic records (居民电子档案)."""

from __future__ import annotations

import datetime as dt
import enum
import functools
import re
import unicodedata

import attrs

from community_governance.domain.idnumber import IdNumber, mask_phone
from community_governance.errors import ValidationError

__all__ = [
    "Household",
    "Relation",
    "ResidenceSpell",
    "Resident",
    "Vulnerability",
    "check_move",
    "validate_phone",
]


class Relation(enum.StrEnum):
    """A resident's relation to the head of their household (与户主关系)."""

    HEAD = "head"  #: 户主
    SPOUSE = "spouse"  #: 配偶
    CHILD = "child"  #: 子女
    PARENT = "parent"  #: 父母
    GRANDCHILD = "grandchild"  #: 孙子女
    OTHER = "other"  #: 其他


class Vulnerability(enum.StrEnum):
    """Why a resident needs care (困难群众); sensitive personal information."""

    EXTREME_DIFFICULTY = "extreme_difficulty"  #: 特困群众
    ELDERLY_ALONE = "elderly_alone"  #: 孤寡、独居老人
    DISABILITY = "disability"  #: 残疾人
    LOW_INCOME = "low_income"  #: 低保户
    LEFT_BEHIND_CHILD = "left_behind_child"  #: 留守儿童


_PHONE_SEPARATORS = str.maketrans("", "", " -.()（）\u3000")
_FIXED_OR_MOBILE = frozenset({"MOBILE", "FIXED_LINE", "FIXED_LINE_OR_MOBILE"})


@functools.cache
def _cn_mobile() -> re.Pattern[str]:
    """libphonenumber's pattern of mainland mobile numbers (its metadata, applied directly:
    parsing a number is a hundred times slower, and imports check thousands)."""
    from phonenumbers import PhoneMetadata

    meta = PhoneMetadata.metadata_for_region("CN")
    assert meta is not None and meta.mobile is not None
    return re.compile(str(meta.mobile.national_number_pattern))


def validate_phone(value: str | None, path: str = "phone") -> str | None:
    """Check and normalise a mainland phone number (联系电话) with Google's ``phonenumbers``.

    Accepted: a mobile number (手机, ``13800000007``, also with ``+86``/``0086``) or a landline
    with its area code (固定电话, ``0398-5812345``, ``010-12345678``); full-width digits and the
    separators people type (spaces, hyphens, dots, brackets) are accepted. Stored as digits
    only: the 11-digit mobile, or ``0`` + area code + number for a landline.

    Raises:
        ValidationError: not a valid mainland mobile or landline (the message says which rule
            failed and what to write); the number is shown masked.
    """
    if value is None:
        return None
    if (type(value) is str and len(value) == 11 and value.isascii() and value.isdigit()
            and value[0] == "1" and _cn_mobile().fullmatch(value)):
        return value  # a mobile as stored (what a bulk import mostly holds): the rule below
    import phonenumbers
    from phonenumbers import PhoneNumberType

    raw = unicodedata.normalize("NFKC", str(value)).strip()
    v = raw.translate(_PHONE_SEPARATORS)
    if not v:
        return None
    if v.startswith("0086"):
        v = "+86" + v[4:]
    shown = mask_phone(v)
    digits = v[1:] if v.startswith("+") else v
    if not digits.isdigit():
        raise ValidationError(
            f"phone number {shown!r} holds characters other than digits; write the digits only, "
            "e.g. 13800000007 or 0398-5812345", path=path)
    if v.startswith("+") and not v.startswith("+86"):
        raise ValidationError(
            f"phone number {shown!r} is not a mainland number (+86); a resident's phone must be "
            "a mainland mobile or landline", path=path)
    if len(digits) == 11 and digits[0] == "1" and _cn_mobile().fullmatch(digits):
        return digits  # the common case, by libphonenumber's own pattern of CN mobiles
    if not v.startswith("+") and len(v) in (7, 8):
        raise ValidationError(
            f"phone number {shown!r} has no area code: a landline is written with its area code, "
            "e.g. 0398-5812345 (义马 0398)", path=path)
    try:
        number = phonenumbers.parse(v, "CN")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or number.country_code != 86 or not phonenumbers.is_valid_number(number):
        raise ValidationError(
            f"phone number {shown!r} is not a valid mainland number (checked with libphonenumber):"
            " a mobile has 11 digits and starts with 13-19, a landline is 0 + area code + 7 or 8 "
            "digits; check the digits", path=path)
    kind = PhoneNumberType.to_string(phonenumbers.number_type(number))
    if kind not in _FIXED_OR_MOBILE:
        raise ValidationError(
            f"phone number {shown!r} is a {kind.lower().replace('_', ' ')} number, not a mobile or "
            "landline a resident can be reached at", path=path)
    national = str(number.national_number)
    return national if national.startswith("1") and len(national) == 11 else "0" + national


@attrs.frozen
class Household:
    """A household (户) living at a building (楼院).

    Attributes:
        id: the household's key, ``<building code>-<door>`` by default.
        building_code: where it lives.
        door: the door or room designation, e.g. ``3-2-301`` (单元-楼层-门牌).
        registered_on: when it was entered in the electronic records.
    """

    id: str
    building_code: str
    door: str
    registered_on: dt.date | None = None


@attrs.frozen(repr=False)
class Resident:
    """A resident (居民) with a validated identity number.

    ``repr`` masks the ID number and phone: personal data never leaks through logs.

    Attributes:
        id: the resident's key (not the ID number, which can be erased).
        name: the resident's name; blank after erasure.
        id_number: the decoded ID number, or ``None`` after erasure.
        household_id: the household they live in now, or ``None`` after moving away.
        relation: relation to the household head.
        phone: phone number, or ``None``.
        vulnerabilities: care categories (sensitive).
        party_member: whether the resident is a member of the Communist Party (党员).
        erased: ``True`` once personal fields were blanked at the resident's request.
    """

    id: str
    name: str
    id_number: IdNumber | None
    household_id: str | None
    relation: Relation = Relation.OTHER
    phone: str | None = None
    vulnerabilities: frozenset[Vulnerability] = frozenset()
    party_member: bool = False
    erased: bool = False

    @property
    def birth_date(self) -> dt.date | None:
        """The birth date, derived from the ID number (never typed twice)."""
        return self.id_number.birth_date if self.id_number else None

    @property
    def sex(self) -> str | None:
        """``"M"`` or ``"F"``, derived from the ID number."""
        return self.id_number.sex if self.id_number else None

    def age_on(self, day: dt.date) -> int | None:
        """The resident's age in whole years on ``day``."""
        b = self.birth_date
        if b is None:
            return None
        return day.year - b.year - ((day.month, day.day) < (b.month, b.day))

    def __repr__(self) -> str:
        idn = self.id_number.masked if self.id_number else None
        return (
            f"Resident(id={self.id!r}, name={self.name!r}, id_number={idn!r}, "
            f"household_id={self.household_id!r}, phone={mask_phone(self.phone)!r})"
        )


@attrs.frozen
class ResidenceSpell:
    """A period a resident lived in a household (居住记录): moves keep history.

    Attributes:
        resident_id: who.
        household_id: where.
        start: first day.
        end: day they left, or ``None`` while they still live there.
    """

    resident_id: str
    household_id: str
    start: dt.date
    end: dt.date | None = None

    def __attrs_post_init__(self) -> None:
        if self.end is not None and self.end < self.start:
            raise ValidationError(
                f"residence spell of {self.resident_id} in {self.household_id} would end "
                f"({self.end}) before it starts ({self.start}): a spell ends on or after its "
                "first day", path="end")


def check_move(resident_id: str, current: ResidenceSpell | None, on: dt.date) -> None:
    """Refuse a move (迁移) on ``on`` that would end the current spell before it starts.

    A move ends the resident's current spell on ``on`` and starts the next one that day, so
    ``on`` may not lie before the current spell's first day (the same day is allowed: a move
    corrected on the day it was made).

    Raises:
        ValidationError: ``on`` lies before ``current.start``; nothing is written.
    """
    if current is not None and on < current.start:
        raise ValidationError(
            f"resident {resident_id} moved into {current.household_id} on {current.start}; a "
            f"move dated {on} would end that residence spell before it starts. Give a date on "
            f"or after {current.start}, or correct the earlier move first", path="on")
