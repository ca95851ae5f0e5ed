"""The one scanner of personal numbers in free text (domain/pii_text.py): what it finds, the
exact masked forms, what it leaves alone, and the refusal of numbers in public fields."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from community_governance.domain.idnumber import compose_id_number, mask_id_number
from community_governance.domain.pii_text import (
    TEXT_FIELDS,
    FieldClass,
    PersonalNumber,
    check_public_text,
    find_personal_numbers,
    mask_personal_numbers,
    normalise_digits,
)
from community_governance.errors import ValidationError

ID_A = compose_id_number("411281", dt.date(1951, 1, 1), 1)
MA = mask_id_number(ID_A)  # 4112**********0013
ID_B = compose_id_number("411221", dt.date(1988, 12, 31), 7)  # 渑池县
ID_X = next(n for n in (compose_id_number("411202", dt.date(1990, 3, 3), s) for s in range(200))
            if n.endswith("X"))


def full_width(text: str) -> str:
    """Half-width digits and X as a Chinese input method types them in full width."""
    return "".join(chr(ord(c) + 0xFEE0) if c.isdigit() or c in "Xx" else c for c in text)


@pytest.mark.parametrize("text, masked", [
    # the example: a counterparty written in full-width digits
    ("李先生 １３８００００００07", "李先生 138****0007"),
    ("手机13912345678", "手机139****5678"),
    ("电话：139 1234 5678。", "电话：139****5678。"),
    ("电话 139-1234-5678", "电话 139****5678"),
    ("电话 139.1234.5678", "电话 139****5678"),
    ("电话 139 - 1234 - 5678", "电话 139****5678"),
    ("+86 139-1234-5678", "+86 139****5678"),
    ("+8613912345678", "+86139****5678"),
    ("008613912345678", "0086139****5678"),
    ("＋８６　１３９１２３４５６７８", "＋８６　139****5678"),
    (f"身份证{ID_A}", f"身份证{MA}"),
    (f"身份证 {ID_A[:6]} {ID_A[6:14]} {ID_A[14:]}", f"身份证 {MA}"),
    (f"id={ID_X.lower()}.", f"id={mask_id_number(ID_X.lower())}."),
    (f"身份证{full_width(ID_X)}", f"身份证{mask_id_number(ID_X)}"),
    ("旧证 411281510101001", "旧证 4112*******1001"),
    # run together: an ID number and a mobile, two mobiles
    (f"{ID_A}13800000007", f"{MA}138****0007"),
    ("1380000000713900000001", "138****0007139****0001"),
    # a landline with its area code is masked in free text
    ("家里电话0398-5812345", "家里电话039****2345"),
    # a house number before a mobile does not hide it
    ("房号 301 13800000007", "房号 301 138****0007"),
])
def test_masks_exactly_as_the_structured_fields(text: str, masked: str) -> None:
    """Gives the exact masked forms of mask_id_number / mask_phone, however the number was
    typed."""
    assert mask_personal_numbers(text) == masked


@pytest.mark.parametrize("text", [
    "411281001001", "419001001001", "411281001001-B0001", "411281001001-B0001-101",
    "411281001001-W02", "P-SEC-411281001001", "C20261202-1A2B3C4D", "C20261202-12345678",
    "2026-12-02", "2026.12.02", "20261202", "2026-06-15T02:00:00+00:00", "09:30-17:30",
    "12,345.67 元", "74000.00", "1,380,000,000.00", "amount_fen=1234567890", "R0001",
    "第3网格 2号楼 301室", "2019Q4", "共 1380 元", "10000000000", "12345678901",
    "BK-2019-01", "411281 001 001",
])
def test_leaves_amounts_dates_case_numbers_and_unit_codes(text: str) -> None:
    """Finds nothing in money amounts, dates, times, case numbers and unit codes."""
    assert find_personal_numbers(text) == []
    assert mask_personal_numbers(text) == text


def test_spans_and_kinds() -> None:
    """Returns the kind, the span in the original text and the half-width value."""
    text = f"甲 {full_width(ID_B)} 乙 ＋86 138-0000-0007 丙 411281510101001"
    found = find_personal_numbers(text)
    assert [f.kind for f in found] == [PersonalNumber.ID_NUMBER, PersonalNumber.MOBILE,
                                       PersonalNumber.LEGACY_ID_NUMBER]
    assert [f.value for f in found] == [ID_B, "13800000007", "411281510101001"]
    assert text[found[0].start:found[0].end] == full_width(ID_B)
    assert text[found[1].start:found[1].end] == "138-0000-0007"
    assert normalise_digits("１２３Ｘ") == "123X" and len(normalise_digits("　")) == 1


def test_a_mistyped_check_character_is_still_masked() -> None:
    """An ID number with a wrong check character is someone's number, mistyped."""
    wrong = ID_A[:17] + ("1" if ID_A[17] != "1" else "2")
    assert mask_personal_numbers(wrong) == mask_id_number(wrong)


@st.composite
def typed_numbers(draw: st.DrawFn) -> tuple[str, str]:
    """A personal number as someone might type it, and its half-width value."""
    if draw(st.booleans()):
        born = draw(st.dates(dt.date(1930, 1, 1), dt.date(2020, 12, 31)))
        region = draw(st.sampled_from(["411281", "411202", "411221", "110101", "440305"]))
        value = compose_id_number(region, born, draw(st.integers(0, 999)))
        cuts = [6, 14]
    else:
        value = "1" + draw(st.sampled_from("3456789")) + "".join(
            draw(st.lists(st.sampled_from("0123456789"), min_size=9, max_size=9)))
        cuts = [3, 7]
    sep = draw(st.sampled_from(["", " ", "-", ".", "　", "－"]))
    typed = value if not sep else value[:cuts[0]] + sep + value[cuts[0]:cuts[1]] + sep + \
        value[cuts[1]:]
    if draw(st.booleans()):
        typed = full_width(typed)
    return typed, value


@given(st.text(alphabet="居民李先生电话联系，。：（）号楼室abc ", max_size=12), typed_numbers(),
       st.text(alphabet="居民李先生电话联系，。：（）号楼室abc ", max_size=12))
def test_no_typed_number_survives_masking(before: str, number: tuple[str, str],
                                          after: str) -> None:
    """Whatever the surrounding text, separators and width, the full number is gone."""
    typed, value = number
    out = normalise_digits(mask_personal_numbers(before + typed + after))
    compact = out.translate(str.maketrans("", "", " -.　"))
    assert value not in compact
    assert value[-4:] in out and "****" in out


def test_public_text_is_refused_naming_field_rule_and_fix() -> None:
    """A number in a published field is refused; the message names the field, what was found
    (masked), the rule and the fix, never the number."""
    with pytest.raises(ValidationError) as info:
        check_public_text("李先生 １３８００００００07", "counterparty")
    msg = str(info.value)
    assert info.value.path == "counterparty"
    assert "counterparty is published" in msg and "138****0007" in msg
    assert "may not be written to a public field" in msg and "remove the number" in msg
    assert "13800000007" not in msg
    assert check_public_text("义马市财政局 0398-5812345", "counterparty") is not None
    assert check_public_text(None, "x") is None


def test_every_text_column_of_the_schema_is_classified() -> None:
    """Every String/Text column of every table is named in TEXT_FIELDS (so a new free-text
    column cannot slip past the masking), and TEXT_FIELDS names no column that is gone."""
    import sqlalchemy as sa

    from community_governance.storage.tables import load_all, metadata

    load_all()
    columns = {f"{t.name}.{c.name}" for t in metadata.sorted_tables for c in t.columns
               if isinstance(c.type, sa.String | sa.Text)}
    missing = sorted(columns - set(TEXT_FIELDS))
    assert missing == [], f"classify these text columns in domain/pii_text.TEXT_FIELDS: {missing}"
    stale = sorted(set(TEXT_FIELDS) - columns)
    assert stale == [], f"TEXT_FIELDS names columns that do not exist: {stale}"
    assert {FieldClass(v) for v in TEXT_FIELDS.values()} == set(FieldClass)
