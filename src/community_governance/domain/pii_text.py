"""Personal numbers typed into free text (自由文本中的个人信息): one scanner, one masking.

People type ID numbers (居民身份证号码) and mobile numbers (手机号码) into every text box: a case
description (事务描述), a points reason, a volunteer's availability, a donor's name. This module
finds them however they were typed and masks them in the forms the structured fields use
(:func:`~community_governance.domain.idnumber.mask_id_number`,
:func:`~community_governance.domain.idnumber.mask_phone`):

- full-width digits and letters (``１３８００００００07``, ``Ｘ``), as Chinese input methods give;
- separators inside a number: spaces (also the ideographic space), hyphens and dots
  (``138-0000-0007``, ``411281 19510101 0012``, ``138.0000.0007``);
- a country prefix on mobiles: ``+86``, ``86``, ``0086``;
- numbers run together with no separator (``41128119510101001213800000007``).

What it looks for:

- an 18-character ID number: a real province code, a real birth date (1880-2099) in digits
  7-14, then three digits and a digit or ``X`` (a wrong check character is still someone's
  number, mistyped, so it is still masked);
- a 15-digit legacy ID number: a province code and a real ``YYMMDD`` birth date;
- a mainland mobile number: ``1[3-9]`` and nine more digits;
- a landline with its area code (``0398-5812345``): masked in free text, but not refused in a
  public field (an office's number may be published).

It stays away from money amounts, dates, case numbers and unit codes: a number is found only
where it starts at the beginning of a group of digits (or right after another number found in
the same group) and ends at the end of a group (or right before another). A 12-digit unit code
such as ``419001001001`` has a mobile-shaped tail (``19001001001``) and is left alone, because
that tail does not start where the group starts.

The module is pure (no I/O): the services apply :func:`mask_personal_numbers` to free text on
every way out, and :func:`check_public_text` to free text written to a field that is published.
:data:`TEXT_FIELDS` classifies every text column of the schema, so a new column cannot be added
without deciding how it is treated (a test enforces it).
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import re
from collections.abc import Collection

import attrs

from community_governance.domain.idnumber import PROVINCES, mask_id_number, mask_phone
from community_governance.errors import ValidationError

__all__ = [
    "TEXT_FIELDS",
    "FieldClass",
    "Found",
    "PersonalNumber",
    "check_public_text",
    "find_personal_numbers",
    "mask_personal_numbers",
    "normalise_digits",
    "published",
]

# Full-width digits, letters X/x, plus, hyphen, dot and the ideographic space, one for one (the
# text keeps its length, so spans found in the normalised text are spans of the original).
_FULL_WIDTH = str.maketrans(
    {**{0xFF10 + i: str(i) for i in range(10)}, 0xFF38: "X", 0xFF58: "x", 0xFF0B: "+",
     0xFF0D: "-", 0x2010: "-", 0x2011: "-", 0x2012: "-", 0x2013: "-", 0x2014: "-",
     0x2212: "-", 0xFF0E: ".", 0x3000: " ", 0x00A0: " ", 0x2009: " ", 0x202F: " "})
_HAS_DIGIT = re.compile(r"[0-9\uFF10-\uFF19]")
_WIDE = re.compile("[" + "".join(chr(c) for c in _FULL_WIDTH) + "]")
# A run: groups of digits (an ID number's last character may be X) joined by at most three
# separator characters (``138 - 0000 - 0007``).
_GROUP = r"[0-9][0-9Xx]*"
_RUN = re.compile(rf"{_GROUP}(?:[ \-.]{{1,3}}{_GROUP})*")
_SEPARATORS = " -."


class PersonalNumber(enum.StrEnum):
    """The kinds of personal number the scanner finds."""

    ID_NUMBER = "id_number"  #: 居民身份证号码 (18 characters)
    LEGACY_ID_NUMBER = "legacy_id_number"  #: 15-digit first-generation number
    MOBILE = "mobile"  #: 手机号码
    LANDLINE = "landline"  #: 固定电话 with its area code (masked, not refused: offices have one)


@attrs.frozen
class Found:
    """One personal number in a text.

    Attributes:
        kind: what it is.
        start: where it starts in the text (a country prefix is not part of it).
        end: where it ends (exclusive).
        value: the number without separators, half-width (``X`` kept as typed).
    """

    kind: PersonalNumber
    start: int
    end: int
    value: str

    @property
    def masked(self) -> str:
        """The masked form the structured fields use (``4112**********0012``,
        ``138****0007``)."""
        if self.kind in (PersonalNumber.MOBILE, PersonalNumber.LANDLINE):
            return mask_phone(self.value) or ""
        return mask_id_number(self.value)


def normalise_digits(text: str) -> str:
    """``text`` with full-width digits, ``Ｘ``, ``＋``, dashes, dots and spaces made half-width.

    The result has the same length as ``text`` (one character for one).
    """
    return text.translate(_FULL_WIDTH)


def _real_date(year: int, month: int, day: int) -> bool:
    if not 1880 <= year <= 2099:
        return False
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def _id18(d: str) -> bool:
    return (len(d) == 18 and d[:17].isdigit() and (d[17].isdigit() or d[17] in "Xx")
            and d[:2] in PROVINCES and _real_date(int(d[6:10]), int(d[10:12]), int(d[12:14])))


def _id15(d: str) -> bool:
    return (len(d) == 15 and d.isdigit() and d[:2] in PROVINCES
            and _real_date(1900 + int(d[6:8]), int(d[8:10]), int(d[10:12])))


def _mobile(d: str) -> bool:
    return len(d) == 11 and d.isdigit() and d[0] == "1" and d[1] in "3456789"


def _landline(d: str) -> bool:
    return len(d) in (11, 12) and d.isdigit() and d[0] == "0" and d[1] != "0"


def _landline_shape(start: int, end: int, cuts: frozenset[int]) -> bool:
    """Whether a landline-shaped span is typed as one: one group (``03985812345``) or an area
    code of 3-4 digits and the local number (``0398-5812345``). Dates and ranges such as
    ``2019-01-01..2019-06-30`` have more groups and are no telephone number."""
    inner = [c for c in cuts if start < c < end]
    return not inner or (len(inner) == 1 and inner[0] - start in (3, 4))


def _pieces_at(d: str, p: int) -> list[tuple[int, int, int, PersonalNumber]]:
    """Numbers that could start at ``p`` of the digits ``d``: (prefix, number start, end, kind),
    longest first."""
    out: list[tuple[int, int, int, PersonalNumber]] = []
    if _id18(d[p:p + 18]):
        out.append((p, p, p + 18, PersonalNumber.ID_NUMBER))
    for prefix in ("0086", "86"):
        if d.startswith(prefix, p) and _mobile(d[p + len(prefix):p + len(prefix) + 11]):
            out.append((p, p + len(prefix), p + len(prefix) + 11, PersonalNumber.MOBILE))
    if _id15(d[p:p + 15]):
        out.append((p, p, p + 15, PersonalNumber.LEGACY_ID_NUMBER))
    if _mobile(d[p:p + 11]):
        out.append((p, p, p + 11, PersonalNumber.MOBILE))
    for n in (12, 11):
        if _landline(d[p:p + n]):
            out.append((p, p, p + n, PersonalNumber.LANDLINE))
    out.sort(key=lambda x: x[2] - x[0], reverse=True)
    return out


def _tile(d: str, p: int, cuts: frozenset[int],
          memo: dict[int, list[tuple[int, int, PersonalNumber]] | None],
          ) -> list[tuple[int, int, PersonalNumber]] | None:
    """Numbers that tile ``d`` from ``p`` up to the next cut (a group boundary), or ``None``."""
    if p in memo:
        return memo[p]
    memo[p] = None
    for _prefix, start, end, kind in _pieces_at(d, p):
        if kind is PersonalNumber.LANDLINE and not _landline_shape(start, end, cuts):
            continue
        if end in cuts:
            memo[p] = [(start, end, kind)]
            break
        rest = _tile(d, end, cuts, memo)
        if rest is not None:
            memo[p] = [(start, end, kind), *rest]
            break
    return memo[p]


def find_personal_numbers(text: str) -> list[Found]:
    """Every ID number and mobile number in ``text``, in order.

    Args:
        text: any free text.

    Returns:
        What was found, with spans into ``text`` itself.
    """
    if not text or not _HAS_DIGIT.search(text):
        return []
    norm = normalise_digits(text) if _WIDE.search(text) else text
    found: list[Found] = []
    for run in _RUN.finditer(norm):
        start = run.start()
        if run.end() - start < 11:  # too short for any number looked for
            continue
        for kind, a, b, value in _in_run(run.group()):
            found.append(Found(kind, start + a, start + b, value))
    return found


@functools.lru_cache(maxsize=4096)
def _in_run(run: str) -> tuple[tuple[PersonalNumber, int, int, str], ...]:
    """The numbers in one run of digits and separators, with spans into the run: a pure
    function of the run, remembered, since the same unit codes and keys recur in every audit
    row of a batch."""
    if len(run) - run.count(" ") - run.count("-") - run.count(".") < 11:
        return ()  # fewer digits than any number looked for (a key like 2019-000001)
    chars: list[int] = []  # position in the run of each digit
    cuts = {0}
    for i, c in enumerate(run):
        if c in _SEPARATORS:
            cuts.add(len(chars))
        else:
            chars.append(i)
    cuts.add(len(chars))
    d = "".join(run[i] for i in chars)
    frozen = frozenset(cuts)
    memo: dict[int, list[tuple[int, int, PersonalNumber]] | None] = {}
    out: list[tuple[PersonalNumber, int, int, str]] = []
    p = 0
    while p < len(d):
        tiled = _tile(d, p, frozen, memo) if p in frozen else None
        if tiled:
            for start, end, kind in tiled:
                out.append((kind, chars[start], chars[end - 1] + 1, d[start:end]))
            p = tiled[-1][1]
            continue
        p = min((c for c in frozen if c > p), default=len(d))
    return tuple(out)


#: A unit code of digits only: a county's 6 digits and 3 more a level below it (sub-district 9,
#: community 12, and the 15 or 18 digits of a grid or building numbered on the same pattern).
_UNIT_CODE = re.compile(r"[1-9][0-9]{5}(?:[0-9]{3}){0,4}")


def mask_personal_numbers(text: str, *, units: Collection[str] = ()) -> str:
    """``text`` with every ID and mobile number replaced by its masked form.

    A grid code such as ``411202001001001`` has the shape of a 15-digit legacy ID number (a real
    1900-10-01), so a message about that grid names ``units``: the codes of the units the text
    is about, known to be unit codes (looked up in the store, not typed by a user). A number
    found that is one of them, typed exactly so (no separator, half-width), is left as it is;
    every other number is masked, a legacy ID number in the same text too. Only codes of the
    shape of a unit code (6 digits, then 3 a level) are honoured: a mobile number never is.

    >>> mask_personal_numbers("李先生 １３８００００００07")
    '李先生 138****0007'
    >>> mask_personal_numbers("身份证411281 19510101 0012，电话138-0000-0007")
    '身份证4112**********0012，电话138****0007'
    >>> mask_personal_numbers("grid 411202001001001 (旧证 411281510101001)",
    ...                       units=["411202001001001"])
    'grid 411202001001001 (旧证 4112*******1001)'
    """
    found = find_personal_numbers(text)
    if found and units:
        keep = {u for u in units if isinstance(u, str) and _UNIT_CODE.fullmatch(u)}
        found = [f for f in found if not (f.value in keep and text[f.start:f.end] == f.value)]
    if not found:
        return text
    parts: list[str] = []
    last = 0
    for f in found:
        parts.append(text[last:f.start])
        parts.append(f.masked)
        last = f.end
    parts.append(text[last:])
    return "".join(parts)


def check_public_text(value: str | None, path: str) -> str | None:
    """Refuse free text for a published field when it holds an ID or mobile number.

    Args:
        value: the text to be written (``None`` passes).
        path: the field, for the message (e.g. ``counterparty``).

    Returns:
        ``value`` unchanged.

    Raises:
        ValidationError: it holds a personal number; the message names the field, what was
            found (masked), the rule and the fix.
    """
    if not value:
        return value
    found = [f for f in find_personal_numbers(value) if f.kind is not PersonalNumber.LANDLINE]
    if not found:
        return value
    what = ", ".join(f"{'a mobile number' if f.kind is PersonalNumber.MOBILE else 'an ID number'}"
                     f" ({f.masked})" for f in found)
    raise ValidationError(
        f"{path} is published, and the text holds {what}: personal numbers (ID or mobile "
        "numbers) may not be written to a public field; remove the number (write the name "
        "only, e.g. '李先生', and keep contact numbers in the resident's record)", path=path)


def published(_instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    """An attrs validator for a published text field: :func:`check_public_text`."""
    check_public_text(value, attribute.name)


class FieldClass(enum.StrEnum):
    """How a text column of the schema is treated on the way out."""

    CODE = "code"  #: keys, codes, enums, times, JSON the library writes: no free text
    PERSONAL = "personal"  #: a structured personal field (name, ID number, phone): own rules
    FREE = "free"  #: free text people type: masked on every way out
    PUBLIC = "public"  #: free text that is published: refused at write when it holds a number
    #: text officials write to publish (the service guide, service centres): published as
    #: written, contact numbers there are published on purpose; masked in logs like all text
    OFFICIAL = "official"


_C, _P, _F, _U = FieldClass.CODE, FieldClass.PERSONAL, FieldClass.FREE, FieldClass.PUBLIC
_O = FieldClass.OFFICIAL

#: Every text column of the schema (``table.column``) and its class. Columns not named here are
#: an error of the test suite (``tests/permissions/test_free_text.py``).
TEXT_FIELDS: dict[str, FieldClass] = {
    # core
    "units.code": _C, "units.kind": _C, "units.name": _U, "units.parent_code": _C,
    "buildings.code": _C, "buildings.community_code": _C, "buildings.compound_code": _C,
    "buildings.grid_code": _C,
    "households.id": _C, "households.building_code": _C, "households.door": _C,
    "residents.id": _C, "residents.name": _P, "residents.id_number": _P, "residents.id_hash": _C,
    "residents.sex": _C, "residents.region_code": _C, "residents.phone": _P,
    "residents.household_id": _C, "residents.relation": _C, "residents.vulnerabilities": _P,
    "residents.warnings": _F,
    "residence_spells.resident_id": _C, "residence_spells.household_id": _C,
    "staff.id": _C, "staff.name": _P, "staff.phone": _P,
    "posts.id": _C, "posts.kind": _C, "posts.unit_code": _C, "posts.holder_kind": _C,
    "posts.holder_id": _C, "posts.covers": _C,
    "party_orgs.id": _C, "party_orgs.kind": _C, "party_orgs.unit_code": _C, "party_orgs.name": _U,
    "party_orgs.parent_id": _C,
    "party_memberships.org_id": _C, "party_memberships.resident_id": _C,
    "partner_units.id": _C, "partner_units.name": _U, "partner_units.kind": _C,
    "partner_attachments.partner_id": _C, "partner_attachments.community_code": _C,
    "audit_log.actor_kind": _C, "audit_log.actor_id": _C, "audit_log.operation": _C,
    "audit_log.objects": _F, "audit_log.detail": _F,
    "access_log.actor_kind": _C, "access_log.actor_id": _C, "access_log.action": _C,
    "access_log.target": _F, "access_log.reason": _F,
    # cases
    "cases.id": _C, "cases.category": _C, "cases.channel": _C, "cases.description": _F,
    "cases.status": _C, "cases.unit_code": _C, "cases.department": _C, "cases.route": _C,
    "cases.building_code": _C, "cases.grid_code": _C, "cases.community_code": _C,
    "cases.household_id": _C, "cases.reporter_id": _C, "cases.reporter_name": _P,
    "cases.reporter_phone": _P, "cases.handler_id": _C, "cases.media_url": _F, "cases.source": _C,
    "case_transitions.case_id": _C, "case_transitions.event": _C,
    "case_transitions.from_status": _C, "case_transitions.to_status": _C,
    "case_transitions.actor": _C, "case_transitions.unit_code": _C,
    "case_transitions.handler_id": _C, "case_transitions.note": _F,
    # service guide, appointments, assisted services
    "guide_matters.code": _C, "guide_matters.domain": _C, "guide_matters.title": _O,
    "guide_matters.unit_code": _C, "guide_matters.search_text": _O,
    "guide_versions.code": _C, "guide_versions.content": _O, "guide_versions.actor": _C,
    "guide_versions.note": _O,
    "service_centres.id": _C, "service_centres.community_code": _C, "service_centres.kind": _C,
    "service_centres.name": _O, "service_centres.hours": _C, "service_centres.address": _O,
    "service_centres.phone": _O,
    "appointments.id": _C, "appointments.centre_id": _C, "appointments.resident_id": _C,
    "appointments.matter_code": _C, "appointments.status": _C, "appointments.note": _F,
    "assisted_services.id": _C, "assisted_services.kind": _C, "assisted_services.resident_id": _C,
    "assisted_services.building_code": _C, "assisted_services.matter_code": _C,
    "assisted_services.description": _F, "assisted_services.status": _C,
    "assisted_services.staff_id": _C, "assisted_services.outcome": _F,
    "assist_events.request_id": _C, "assist_events.event": _C, "assist_events.status": _C,
    "assist_events.actor": _C, "assist_events.note": _F,
    # funds
    "funds_transactions.community_code": _C, "funds_transactions.channel": _C,
    "funds_transactions.kind": _C, "funds_transactions.voucher": _U,
    "funds_transactions.memo": _U, "funds_transactions.counterparty": _U,
    "funds_transactions.idempotency_key": _C, "funds_transactions.fingerprint": _C,
    "funds_transactions.posted_by": _C,
    "funds_postings.community_code": _C, "funds_postings.account": _C,
    "funds_budgets.community_code": _C, "funds_budgets.account": _C, "funds_budgets.set_by": _C,
    "funds_disbursements.community_code": _C, "funds_disbursements.account": _C,
    "funds_disbursements.payee": _U, "funds_disbursements.purpose": _U,
    "funds_disbursements.state": _C, "funds_disbursements.required_roles": _C,
    "funds_disbursements.requested_by": _C, "funds_disbursements.idempotency_key": _C,
    "funds_disbursements.fingerprint": _C, "funds_disbursements.reason": _U,
    "funds_approvals.role": _C, "funds_approvals.approver": _C,
    "funds_in_kind.community_code": _C, "funds_in_kind.description": _U,
    "funds_closings.community_code": _C, "funds_closings.closed_by": _C,
    "funds_locks.community_code": _C,
    # points, volunteers, supermarkets, charity
    "volunteers.resident_id": _C, "volunteers.community_code": _C, "volunteers.skills": _F,
    "volunteers.availability": _F,
    "volunteer_orgs.id": _C, "volunteer_orgs.name": _U, "volunteer_orgs.unit_code": _C,
    "volunteer_orgs.category": _C,
    "volunteer_memberships.org_id": _C, "volunteer_memberships.resident_id": _C,
    "volunteer_trainings.resident_id": _C, "volunteer_trainings.title": _F,
    "volunteer_trainings.org_id": _C,
    "activities.id": _C, "activities.title": _U, "activities.unit_code": _C,
    "activities.community_code": _C, "activities.category": _C, "activities.place": _U,
    "activities.org_id": _C, "activities.organiser": _U,
    "activity_signups.activity_id": _C, "activity_signups.resident_id": _C,
    "activity_attendance.activity_id": _C, "activity_attendance.resident_id": _C,
    "activity_attendance.community_code": _C, "activity_attendance.month": _C,
    "activity_attendance.category": _C,
    "points_entries.resident_id": _C, "points_entries.kind": _C, "points_entries.month": _C,
    "points_entries.community_code": _C, "points_entries.idempotency_key": _C,
    "points_entries.request": _C, "points_entries.activity_id": _C, "points_entries.reason": _F,
    "points_entries.actor": _C,
    "points_balances.resident_id": _C,
    "supermarket_items.id": _C, "supermarket_items.community_code": _C,
    "supermarket_items.name": _U,
    "stock_moves.item_id": _C, "stock_moves.kind": _C, "stock_moves.community_code": _C,
    "stock_moves.month": _C, "stock_moves.idempotency_key": _C,
    "redemptions.idempotency_key": _C, "redemptions.resident_id": _C, "redemptions.item_id": _C,
    "charity_donations.id": _C, "charity_donations.community_code": _C,
    "charity_donations.donor": _F, "charity_donations.category": _C,
    "charity_donations.condition": _C, "charity_donations.status": _C,
    "charity_lots.id": _C, "charity_lots.donation_id": _C, "charity_lots.community_code": _C,
    "charity_lots.category": _C, "charity_lots.description": _F, "charity_lots.condition": _C,
    "charity_give_outs.idempotency_key": _C, "charity_give_outs.request": _C,
    "charity_give_outs.lot_id": _C, "charity_give_outs.resident_id": _C,
    "charity_give_outs.month": _C,
    # grids
    "grid_claims.building_code": _C, "grid_claims.grid_code": _C, "grid_claims.source": _C,
    # refused attempts (the access policy's denials) and their hourly counts
    "access_denials.actor_kind": _C, "access_denials.actor_id": _C,
    "access_denials.operation": _C, "access_denials.action": _C, "access_denials.target": _C,
    "access_denials.reason": _F,
    "access_denial_counts.actor_kind": _C, "access_denial_counts.actor_id": _C,
    # hash chains (hex digests and stream ids)
    "audit_log.chain": _C, "audit_log.chain_hash": _C, "case_transitions.chain_hash": _C,
    "cases.chain_head": _C, "funds_locks.chain_head": _C, "funds_transactions.chain_hash": _C,
    "points_balances.chain_head": _C, "points_entries.chain_hash": _C,
    # awards waiting for a second person's confirmation
    "points_pending.community_code": _C, "points_pending.decided_by": _C,
    "points_pending.idempotency_key": _C, "points_pending.note": _F,
    "points_pending.reason": _F, "points_pending.request": _C,
    "points_pending.requested_by": _C, "points_pending.resident_id": _C,
    "points_pending.rule": _C, "points_pending.state": _C,
    # social organizations (社会组织)
    "social_orgs.id": _C, "social_orgs.name": _U, "social_orgs.kind": _C,
    "social_orgs.community_code": _C, "social_orgs.subdistrict_code": _C,
    "social_orgs.stage": _C, "social_orgs.incubator_id": _C, "social_orgs.volunteer_org_id": _C,
    "social_orgs.grade": _C,
    "social_org_transitions.org_id": _C, "social_org_transitions.event": _C,
    "social_org_transitions.from_stage": _C, "social_org_transitions.to_stage": _C,
    "social_org_transitions.actor": _C, "social_org_transitions.note": _F,
    "social_org_records.org_id": _C, "social_org_records.kind": _C,
    "social_org_records.code": _C, "social_org_records.actor": _C,
    "social_org_records.note": _F,
    "social_org_evaluations.org_id": _C, "social_org_evaluations.round": _C,
    "social_org_evaluations.evaluators": _F, "social_org_evaluations.grade": _C,
    "social_org_evaluations.lines": _C, "social_org_evaluations.actor": _C,
    "social_org_findings.org_id": _C, "social_org_findings.text": _F,
    "social_org_findings.follow_up": _F, "social_org_findings.actor": _C,
    "social_org_staff.org_id": _C, "social_org_staff.name": _P, "social_org_staff.role": _F,
    "social_org_staff.person_id": _C,
    "social_org_trainings.title": _F,
    # hook timings
    "plugin_timings.hook": _C, "plugin_timings.plugin": _C,
    # facts about the database (the data key's fingerprint, never the key)
    "database_settings.name": _C, "database_settings.value": _C,
    # culture and sports groups (文体组织): names, venues, titles are published
    "culture_groups.id": _C, "culture_groups.name": _U, "culture_groups.kind": _C,
    "culture_groups.community_code": _C, "culture_groups.leader_id": _C,
    "culture_groups.venue": _U, "culture_groups.schedule": _C,
    "culture_equipment.group_id": _C, "culture_equipment.item": _U,
    "culture_memberships.group_id": _C, "culture_memberships.resident_id": _C,
    "culture_events.id": _C, "culture_events.title": _U, "culture_events.level": _C,
    "culture_events.kind": _C, "culture_events.unit_code": _C, "culture_events.festival": _U,
    "culture_events.venue": _U, "culture_events.status": _C,
    "culture_event_groups.event_id": _C, "culture_event_groups.group_id": _C,
    # care (关爱), the party's evaluation and councils (党建, 协商议事会), community-affairs
    # disclosure (事务公开) and the HTTP API's tokens: free text is masked on the way out
    "affairs_acknowledgements.posting_id": _C, "affairs_acknowledgements.resident_id": _C,
    "affairs_objections.answer": _F, "affairs_objections.id": _C,
    "affairs_objections.posting_id": _C, "affairs_objections.resident_id": _C,
    "affairs_objections.text": _F,
    "affairs_postings.body": _F, "affairs_postings.community_code": _C, "affairs_postings.id": _C,
    "affairs_postings.kind": _C, "affairs_postings.source": _C, "affairs_postings.title": _F,
    "api_tokens.actor_id": _C, "api_tokens.actor_kind": _C, "api_tokens.created_by": _C,
    "api_tokens.label": _F, "api_tokens.scopes": _C, "api_tokens.token_hash": _C,
    "funds_reservations.account": _C, "funds_reservations.community_code": _C,
    "funds_reservations.created_by": _C, "funds_reservations.purpose": _U,
    "funds_reservations.ref": _C, "funds_reservations.state": _C,
    "tender_needs.id": _C, "tender_needs.unit_code": _C, "tender_needs.title": _U,
    "tender_needs.category": _C, "tender_needs.description": _F, "tender_needs.actor": _C,
    "tender_projects.id": _C, "tender_projects.need_id": _C,
    "tender_projects.community_code": _C, "tender_projects.title": _U,
    "tender_projects.category": _C, "tender_projects.account": _C,
    "tender_projects.status": _C, "tender_projects.actor": _C,
    "tender_notices.id": _C, "tender_notices.project_id": _C, "tender_notices.title": _U,
    "tender_notices.procedure": _C, "tender_notices.rules": _C, "tender_notices.criteria": _C,
    "tender_notices.actor": _C,
    "tender_lots.tender_id": _C, "tender_lots.title": _U, "tender_lots.kinds": _C,
    "tender_lots.min_grade": _C, "tender_lots.status": _C,
    "tender_lot_transitions.event": _C, "tender_lot_transitions.from_status": _C,
    "tender_lot_transitions.to_status": _C, "tender_lot_transitions.actor": _C,
    "tender_lot_transitions.note": _F,
    "tender_bids.org_id": _C, "tender_bids.sealed": _F, "tender_bids.nonce": _C,
    "tender_bids.commitment": _C, "tender_bids.actor": _C,
    "tender_openings.note": _C,
    "tender_panel.tender_id": _C, "tender_panel.member_id": _C, "tender_panel.name": _P,
    "tender_panel.declared": _C, "tender_panel.actor": _C,
    "tender_scores.member_id": _C, "tender_scores.criterion": _C, "tender_scores.actor": _C,
    "tender_objections.org_id": _C, "tender_objections.text": _F,
    "tender_objections.reply": _F, "tender_objections.actor": _C,
    "tender_contracts.id": _C, "tender_contracts.project_id": _C,
    "tender_contracts.org_id": _C, "tender_contracts.terms": _U,
    "tender_contracts.status": _C, "tender_contracts.actor": _C,
    "tender_acceptances.contract_id": _C, "tender_acceptances.deliverable": _C,
    "tender_acceptances.note": _F, "tender_acceptances.actor": _C,
    "tender_payments.contract_id": _C, "tender_payments.deliverable": _C,
    "tender_payments.actor": _C,
    "tender_performance.contract_id": _C, "tender_performance.org_id": _C,
    "tender_performance.evaluators": _F, "tender_performance.note": _F,
    "tender_performance.actor": _C,
    "http_idempotency.principal": _C, "http_idempotency.key": _C,
    "http_idempotency.fingerprint": _C, "http_idempotency.response": _F,
    "http_idempotency.resident_id": _C, "http_rate_limits.bucket": _C,
    "care_alerts.id": _C, "care_alerts.kind": _C, "care_alerts.level": _C, "care_alerts.place": _F,
    "care_alerts.recorded_by": _C, "care_alerts.source": _C,
    "care_assignments.cadre_id": _C, "care_assignments.community_code": _C,
    "care_assignments.note": _F, "care_assignments.post_id": _C,
    "care_assignments.resident_id": _C,
    "care_help_requests.cadre_id": _C, "care_help_requests.case_id": _C,
    "care_help_requests.community_code": _C, "care_help_requests.resident_id": _C,
    "care_help_requests.summary": _F, "care_help_requests.urgency": _C,
    "care_invitations.community_code": _C, "care_invitations.event_id": _C,
    "care_invitations.occasion": _C, "care_invitations.recorded_by": _C,
    "care_invitations.resident_id": _C, "care_invitations.rsvp": _C,
    "care_needs.category": _C, "care_needs.community_code": _C, "care_needs.evidence": _P,
    "care_needs.id": _C, "care_needs.recorded_by": _C, "care_needs.resident_id": _C,
    "care_needs.visibility": _C,
    "care_rounds.alert_id": _C, "care_rounds.community_code": _C, "care_rounds.festival": _C,
    "care_rounds.fund_account": _C, "care_rounds.gift": _F, "care_rounds.id": _C,
    "care_rounds.kind": _C, "care_rounds.lot_id": _C, "care_rounds.title": _F,
    "care_tasks.cadre_id": _C, "care_tasks.grid_code": _C, "care_tasks.resident_id": _C,
    "care_tasks.round_id": _C, "care_tasks.status": _C,
    "care_visits.case_id": _C, "care_visits.community_code": _C, "care_visits.needs": _F,
    "care_visits.outcome": _C, "care_visits.resident_id": _C, "care_visits.visitor_id": _C,
    "council_attendance.meeting_id": _C, "council_attendance.member_id": _C,
    "council_decisions.community_code": _C, "council_decisions.id": _C,
    "council_decisions.motion_id": _C, "council_decisions.owner": _F,
    "council_decisions.summary": _F,
    "council_meetings.community_code": _C, "council_meetings.id": _C, "council_meetings.kind": _C,
    "council_meetings.minutes": _F, "council_meetings.title": _F,
    "council_members.community_code": _C, "council_members.id": _C, "council_members.name": _P,
    "council_members.resident_id": _C, "council_members.seat": _C,
    "council_motions.id": _C, "council_motions.kind": _C, "council_motions.meeting_id": _C,
    "council_motions.rule": _C, "council_motions.title": _F, "council_motions.topic_id": _C,
    "council_topic_supporters.resident_id": _C, "council_topic_supporters.topic_id": _C,
    "council_topics.community_code": _C, "council_topics.id": _C, "council_topics.raised_by": _C,
    "council_topics.title": _F,
    "council_votes.choice": _C, "council_votes.member_id": _C, "council_votes.motion_id": _C,
    "evaluation_appeals.decision": _F, "evaluation_appeals.id": _C,
    "evaluation_appeals.member_id": _C, "evaluation_appeals.reason": _F,
    "evaluation_appeals.round_id": _C, "evaluation_appeals.status": _C,
    "evaluation_participation.member_id": _C, "evaluation_participation.round_id": _C,
    "evaluation_participation.voter_id": _C,
    "evaluation_rounds.community_code": _C, "evaluation_rounds.electorate": _C,
    "evaluation_rounds.grades": _C, "evaluation_rounds.id": _C, "evaluation_rounds.status": _C,
    "evaluation_rounds.title": _F,
    "evaluation_subjects.member_id": _C, "evaluation_subjects.round_id": _C,
    "evaluation_subjects.unit_code": _C,
    "evaluation_tallies.grade": _C, "evaluation_tallies.member_id": _C,
    "evaluation_tallies.round_id": _C,
    "party_centre_links.household_id": _C, "party_centre_links.post_id": _C,
    "party_identity_consents.resident_id": _C,
    "party_org_partners.org_id": _C, "party_org_partners.partner_id": _C,
    "party_reports.community_code": _C, "party_reports.id": _C, "party_reports.partner_id": _C,
    "party_reports.resident_id": _C,
    # market actors, owners' committees, the 三供一业 handover, paid services (市场主体)
    "market_actors.id": _C, "market_actors.county_code": _C, "market_actors.name": _U,
    "market_actors.kinds": _C, "market_actors.credit_code": _C, "market_actors.partner_id": _C,
    "market_contracts.id": _C, "market_contracts.company_id": _C,
    "market_contracts.compound_code": _C, "market_contracts.service": _C,
    "market_contracts.basis": _C,
    "market_committees.id": _C, "market_committees.compound_code": _C,
    "market_committees.guided_by": _C, "market_committees.vote_id": _C,
    "market_committee_members.id": _C, "market_committee_members.committee_id": _C,
    "market_committee_members.name": _U, "market_committee_members.role": _C,
    "market_committee_members.resident_id": _C,
    "market_owner_votes.id": _C, "market_owner_votes.compound_code": _C,
    "market_owner_votes.title": _U, "market_owner_votes.matter": _C,
    "market_owner_votes.rule": _C, "market_owner_votes.reason": _C,
    "market_handovers.id": _C, "market_handovers.compound_code": _C,
    "market_handovers.utility": _C, "market_handovers.from_party": _U,
    "market_handovers.to_party": _U, "market_handovers.status": _C,
    "market_handover_cases.case_id": _C, "market_handover_cases.compound_code": _C,
    "market_services.id": _C, "market_services.community_code": _C,
    "market_services.name": _U, "market_services.kind": _C, "market_services.unit": _U,
    "market_services.provider_id": _C,
    "market_service_income.service_id": _C,
    "market_agreements.id": _C, "market_agreements.community_code": _C,
    "market_agreements.kind": _C, "market_agreements.party_kind": _C,
    "market_agreements.party_name": _P, "market_agreements.purpose": _U,
    "market_agreement_receipts.agreement_id": _C,
    # 座谈会, county leaders, designations, festival visits, agenda, referrals (issue #16)
    "party_symposia.id": _C, "party_symposia.community_code": _C, "party_symposia.title": _F,
    "party_symposia.minutes": _F,
    "party_symposium_attendance.symposium_id": _C,
    "party_symposium_attendance.resident_id": _C, "party_symposium_attendance.role": _C,
    "party_symposium_actions.id": _C, "party_symposium_actions.symposium_id": _C,
    "party_symposium_actions.raised_by": _C, "party_symposium_actions.owner": _C,
    "party_symposium_actions.suggestion": _F, "party_symposium_actions.action": _O,
    "county_leader_links.id": _C, "county_leader_links.leader_id": _C,
    "county_leader_links.community_code": _C, "county_leader_links.title": _U,
    "party_designations.id": _C, "party_designations.resident_id": _C,
    "party_designations.community_code": _C, "party_designations.title": _U,
    "festival_visits.id": _C, "festival_visits.leader_id": _C, "festival_visits.member_id": _C,
    "festival_visits.community_code": _C, "festival_visits.festival": _C,
    "festival_visits.reason": _C, "festival_visits.note": _F,
    "council_agenda_items.id": _C, "council_agenda_items.meeting_id": _C,
    "council_agenda_items.topic_id": _C, "council_agenda_items.motion_id": _C,
    "council_agenda_items.title": _F, "council_agenda_items.kind": _C,
    "council_agenda_recusals.item_id": _C, "council_agenda_recusals.member_id": _C,
    "council_decision_links.decision_id": _C, "council_decision_links.kind": _C,
    "council_decision_links.ref": _C,
    "council_members.body_id": _C,
}
