"""Resident identity numbers (居民身份证号码, GB 11643-1999).

Our own validator: 17 digits and an ISO 7064 MOD 11-2 check character, a real province code, a
real birth date that is not in the future. The county-level region code is looked up in the
national table that python-stdnum ships, for its name only: a code missing from that table is
accepted with a warning, because the public tables lack some old codes, and stdnum's own
validator (``stdnum.cn.ric``) rejects real numbers whose region code was created after the
holder's birth (an elderly resident of 义马市 411281, a code from 1989, born in 1950).
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
import re
import unicodedata

import attrs

from community_governance.errors import IdNumberError

__all__ = [
    "PROVINCES",
    "IdNumber",
    "check_character",
    "compose_id_number",
    "mask_id_number",
    "mask_phone",
    "parse_id_number",
    "region_name",
]

_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
_CHECK = "10X98765432"

#: Province-level codes (省级行政区划代码) and their names.
PROVINCES: dict[str, str] = {
    "11": "北京市", "12": "天津市", "13": "河北省", "14": "山西省", "15": "内蒙古自治区",
    "21": "辽宁省", "22": "吉林省", "23": "黑龙江省",
    "31": "上海市", "32": "江苏省", "33": "浙江省", "34": "安徽省", "35": "福建省",
    "36": "江西省", "37": "山东省",
    "41": "河南省", "42": "湖北省", "43": "湖南省", "44": "广东省", "45": "广西壮族自治区",
    "46": "海南省",
    "50": "重庆市", "51": "四川省", "52": "贵州省", "53": "云南省", "54": "西藏自治区",
    "61": "陕西省", "62": "甘肃省", "63": "青海省", "64": "宁夏回族自治区",
    "65": "新疆维吾尔自治区",
    "71": "台湾省", "81": "香港特别行政区", "82": "澳门特别行政区",
}

_SHAPE = re.compile(r"[0-9]{17}[0-9X]")  # ASCII digits only: \d takes any script's
_LEGACY = re.compile(r"[0-9]{15}")


class _Masked:
    """Formats as the masked number, computed only when a message is built."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value

    def __format__(self, spec: str) -> str:
        return mask_id_number(self.value)


def check_character(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character for the first 17 digits."""
    if len(first17) == 17 and first17.isascii() and first17.isdigit():
        return _check17(first17)
    return _CHECK[sum(map(operator.mul, map(int, first17), _WEIGHTS)) % 11]


#: what the ASCII codes of 17 digits add to their weighted sum (``ord("0")`` times each weight)
_ZERO_OFFSET = ord("0") * sum(_WEIGHTS)


def _check17(digits: str) -> str:
    """:func:`check_character` of exactly 17 ASCII digits (the caller has checked them): the
    weighted sum taken over the bytes, without an ``int()`` per digit (the demo city composes
    and checks 138,000 numbers)."""
    return _CHECK[(sum(map(operator.mul, digits.encode(), _WEIGHTS)) - _ZERO_OFFSET) % 11]


_YEARS = re.compile(r"\[[\d-]*\]")


@functools.cache
def _region_table() -> dict[str, str]:
    """6-digit region code → name, from python-stdnum's table, its year windows ignored."""
    from stdnum import numdb

    table: dict[str, str] = {}
    for province in numdb.get("cn/loc").prefixes:
        _, prov_low, prov_high, prov_props, counties = province
        if prov_low != prov_high:
            continue
        for _, low, high, props, _ in counties:
            if low != high:
                continue
            raw = str(props.get("county", ""))
            names = [_YEARS.sub("", part).strip() for part in raw.split(",")]
            table[prov_low + low] = names[-1] or str(prov_props.get("province", ""))
    return table


def region_name(code: str) -> str | None:
    """The name of a 6-digit region code in the national table, or ``None`` if absent."""
    return _region_table().get(code)


@attrs.frozen(repr=False)
class IdNumber:
    """A validated resident identity number (居民身份证号码) and what it encodes.

    The ``repr`` shows the number masked; ``str`` too. Use :attr:`number` for the full value,
    only where the caller is allowed to see it.

    Attributes:
        number: the 18-character number, upper-case ``X`` (masked when ``revealed`` is false).
        region_code: the 6-digit region code of first registration.
        region_name: the region's name from the national table, or ``None``.
        birth_date: the birth date it encodes.
        sex: ``"M"`` or ``"F"`` (odd or even 17th digit).
        warnings: notes the validator recorded (e.g. an unknown county-level code).
        revealed: ``False`` when the services returned it masked to a caller without the right
            (or the wish) to see it in full.
    """

    number: str
    region_code: str
    region_name: str | None
    birth_date: dt.date
    sex: str
    warnings: tuple[str, ...] = ()
    revealed: bool = True

    @property
    def masked(self) -> str:
        """The number with all but the first 4 and the last 4 characters hidden."""
        return self.number if not self.revealed else mask_id_number(self.number)

    def hidden(self) -> IdNumber:
        """The same decoded facts with :attr:`number` masked (``revealed=False``)."""
        if not self.revealed:
            return self
        return attrs.evolve(self, number=mask_id_number(self.number), revealed=False)

    def __repr__(self) -> str:
        return f"IdNumber({self.masked!r})"

    def __str__(self) -> str:
        return self.masked


def parse_id_number(raw: object, *, today: dt.date, path: str = "id_number") -> IdNumber:
    """Validate a resident identity number and decode it.

    Args:
        raw: the number as typed or imported (a lower-case ``x``, spaces and full-width digits
            are accepted).
        today: the date to check the birth date against (the domain has no clock).
        path: where the value came from, for error messages.

    Returns:
        The decoded :class:`IdNumber`.

    Raises:
        IdNumberError: the number is malformed, its check character is wrong, its birth date is
            impossible or in the future, its province code does not exist, or it is a 15-digit
            legacy number. The message never contains the full number.
    """
    if type(raw) is not str:  # text (nearly always) skips both checks
        if isinstance(raw, bool | int | float):
            raise IdNumberError(
                "an ID number arrived as a number, so leading zeros or the last digits may "
                "already be lost; format the column as text and enter it again",
                path=path,
            )
        if not isinstance(raw, str):
            raise IdNumberError(f"an ID number must be text, got {type(raw).__name__}",
                                path=path)
    # full-width digits and Ｘ (as Chinese input methods type them) become half-width
    value = (raw if raw.isascii() else unicodedata.normalize("NFKC", raw)
             ).strip().replace(" ", "").upper()  # NFKC leaves ASCII as it is
    if not _SHAPE.fullmatch(value):
        masked = mask_id_number(value)
        # an X last is no slip; when the shape fails with one there, an earlier character is
        # the first stray (so only the first is named)
        stray = [(i, c) for i, c in enumerate(value) if not c.isascii() or not c.isdigit()]
        if stray and len(value) in (15, 18):
            i, c = stray[0]
            raise IdNumberError(
                f"{masked}: character {i + 1} is {c!r}, not a digit; an ID number has only digits "
                "and, last, X (a letter O for a zero, or a stray mark, is the usual slip)",
                path=path,
            )
        if _LEGACY.fullmatch(value):
            raise IdNumberError(
                f"{masked} is a 15-digit legacy ID number (first-generation card); convert it to "
                "18 characters: insert '19' before the 2-digit birth year (after the 6-digit "
                "region) and append the ISO 7064 MOD 11-2 check character, or ask the resident "
                "for the new card",
                path=path,
            )
        raise IdNumberError(
            f"{masked} is not an 18-character ID number: expected 17 digits and a final digit or "
            f"X, got {len(value)} characters",
            path=path,
        )
    expected = _check17(value[:17])  # the shape holds 17 ASCII digits first
    shown = _Masked(value)  # formats as the masked number only when a message is built
    if value[17] != expected:
        raise IdNumberError(
            f"{shown}: the check character is {value[17]!r} but the first 17 digits give "
            f"{expected!r} (ISO 7064 MOD 11-2); a digit was probably mistyped",
            path=path,
        )
    province = value[:2]
    if province not in PROVINCES:
        raise IdNumberError(
            f"{shown}: {province!r} is not a province code (省级行政区划代码); the first two "
            "digits must name a province, e.g. 41 for 河南省",
            path=path,
        )
    try:
        # eight ASCII digits (the shape holds them): the basic ISO form YYYYMMDD, which
        # fromisoformat reads (and refuses) exactly as date(YYYY, MM, DD) would
        birth = dt.date.fromisoformat(value[6:14])
    except ValueError:
        raise IdNumberError(
            f"{shown}: digits 7-14 ({value[6:14]}) are not a real birth date (YYYYMMDD)",
            path=path,
        ) from None
    if birth > today:
        raise IdNumberError(
            f"{shown}: the birth date {birth.isoformat()} is in the future (today is "
            f"{today.isoformat()})",
            path=path,
        )
    if birth.year < 1880:
        raise IdNumberError(
            f"{shown}: the birth year {birth.year} is not plausible (before 1880)", path=path
        )
    region = value[:6]
    name = _region_table().get(region)
    warnings: tuple[str, ...] = ()
    if name is None:
        warnings = (
            f"region code {region} is not in the national table of county-level codes; accepted "
            "because old codes are missing from public tables, check it against the card",
        )
    sex = "M" if value[16] in "13579" else "F"
    return IdNumber(value, region, name, birth, sex, warnings)


def mask_id_number(value: str) -> str:
    """Show the first 4 and the last 4 characters of an ID number, hide the rest with ``*``."""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str | None) -> str | None:
    """Show the first 3 and the last 4 digits of a phone number: ``138****1234``."""
    if not value:
        return value
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def compose_id_number(region: str, birth: dt.date, sequence: int) -> str:
    """Build a valid 18-character ID number (for synthetic data and tests).

    Args:
        region: the 6-digit region code, e.g. ``411281``.
        birth: the birth date.
        sequence: the 3-digit order code (0-999); odd for men, even for women.
    """
    if not (0 <= sequence <= 999) or len(region) != 6 or not region.isdigit():
        raise ValueError("region must be 6 digits and sequence 0-999")
    # the date's fields formatted directly: what %Y%m%d gives for a 4-digit year, without
    # strftime (the demo city composes 138,000 numbers)
    day = (f"{birth.year}{birth.month:02d}{birth.day:02d}" if birth.year >= 1000
           else f"{birth:%Y%m%d}")
    first = f"{region}{day}{sequence:03d}"
    return first + check_character(first)
