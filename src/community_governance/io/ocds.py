"""The Open Contracting Data Standard (OCDS 1.1) export of the purchase of services
(政府购买服务).

Each tender notice is one contracting process, identified by an ``ocid``: a prefix and the
tender's key. The prefix is configurable: an OCDS publisher registers its own ``ocds-xxxxxx-``
prefix with the Open Contracting Partnership; until then the placeholder
:data:`PLACEHOLDER_PREFIX` (``ocds-cgov00-``) marks the data as not yet registered.

A process gives one release per stage (tags ``planning``, ``tender``, ``award``, ``contract``,
``implementation``), each dated when its stage happened and carrying that stage's facts, and
one record: the releases with the compiled release (tag ``compiled``), the latest state of
everything. The implementation's transactions are the contract's payments made through the
funds ledger (account 5107), with the ledger's transaction number as their id. Lots appear as
items ``lot-N``; awards and contracts are per lot.

The data come from :meth:`community_governance.services.tenders.TendersService.ocds_data`:
organizations, public titles, amounts and dates only (no panel member, no objection text), and
every text passes the library's masking of ID and mobile numbers once more.

Validation uses the official release schema of OCDS 1.1.4, vendored unchanged in
``io/schemas/ocds`` (see its README for the source and licence), with ``jsonschema``'s
Draft 4 validator: :func:`validate_release`.
"""

from __future__ import annotations

import functools
import json
import re
from decimal import Decimal
from importlib import resources
from typing import Any

from community_governance.errors import ValidationError
from community_governance.masking import mask_text

__all__ = [
    "OCDS_VERSION",
    "PLACEHOLDER_PREFIX",
    "SCHEMA_VERSION",
    "compile_release",
    "ocid",
    "record_package",
    "release_package",
    "release_schema",
    "releases",
    "validate_release",
]

#: The OCDS version the packages declare.
OCDS_VERSION = "1.1"
#: The version of the vendored release schema.
SCHEMA_VERSION = "1.1.4"
#: The placeholder ocid prefix (not registered with the Open Contracting Partnership).
PLACEHOLDER_PREFIX = "ocds-cgov00-"

_PREFIX = re.compile(r"ocds-[a-z0-9]{6}-")
_CURRENCY = "CNY"
_TZ = "+08:00"
_STAGES = ("planning", "tender", "award", "contract", "implementation")
_TENDER_STATUS = {"open": "active", "opened": "active", "awarded": "active",
                  "challenged": "active", "contracted": "complete", "failed": "unsuccessful",
                  "cancelled": "cancelled"}
_METHOD = {"open": "open", "competitive_consultation": "selective",
           "single_source": "direct"}


def _check_prefix(prefix: str) -> str:
    if not isinstance(prefix, str) or not _PREFIX.fullmatch(prefix):
        raise ValidationError(
            f"ocid prefix {prefix!r} must be 'ocds-' and six lower-case letters or digits and "
            f"'-', e.g. the placeholder {PLACEHOLDER_PREFIX!r}; register your own with the Open "
            "Contracting Partnership", path="prefix")
    return prefix


def ocid(prefix: str, tender_id: str) -> str:
    """The ocid of the contracting process of tender ``tender_id``."""
    return _check_prefix(prefix) + tender_id


def _day(iso: str) -> str:
    """A day as an OCDS date-time: midnight in China (UTC+8)."""
    return f"{iso}T00:00:00{_TZ}"


def _value(amount: str) -> dict[str, Any]:
    return {"amount": float(Decimal(amount)), "currency": _CURRENCY}


def _party_buyer(p: dict[str, Any]) -> dict[str, Any]:
    return {"id": f"CN-UNIT-{p['buyer']['code']}", "name": p["buyer"]["name"]}


def _party_org(org_id: str, name: str) -> dict[str, Any]:
    return {"id": f"CN-CGOV-ORG-{org_id}", "name": name}


def _parties(p: dict[str, Any], stage: str) -> list[dict[str, Any]]:
    """The parties a stage mentions, with their roles in the process."""
    buyer = {**_party_buyer(p), "roles": ["buyer", "procuringEntity"]}
    if stage in ("implementation", "compiled"):
        buyer["roles"].append("payer")
    roles: dict[str, dict[str, Any]] = {}

    def add(org_id: str, name: str, role: str) -> None:
        ref = _party_org(org_id, name)
        entry = roles.setdefault(ref["id"], {**ref, "roles": []})
        if role not in entry["roles"]:
            entry["roles"].append(role)

    if stage in ("tender", "compiled"):
        for lot in p["lots"]:
            for b in lot["bids"]:
                add(b["org_id"], b["name"], "tenderer")
    if stage in ("award", "compiled"):
        for lot in p["lots"]:
            if lot["winner"]:
                add(lot["winner"]["org_id"], lot["winner"]["name"], "supplier")
    if stage in ("contract", "implementation", "compiled"):
        for c in p["contracts"]:
            add(c["org_id"], c["org_name"], "supplier")
            if stage != "contract" and c["payments"]:
                add(c["org_id"], c["org_name"], "payee")
    return [buyer, *roles.values()] if stage != "planning" else [buyer]


def _planning(p: dict[str, Any]) -> dict[str, Any]:
    pr = p["project"]
    return {"rationale": pr["need"]["description"] or pr["need"]["title"],
            "budget": {"id": pr["id"], "description": f"{pr['title']} ({pr['year']}, "
                                                     f"account {pr['account']})",
                       "amount": _value(pr["budget"]), "project": pr["title"],
                       "projectID": pr["id"]}}


def _items(p: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"id": f"lot-{lot['number']}", "description": lot["title"], "quantity": 1}
            for lot in p["lots"]]


def _tender(p: dict[str, Any]) -> dict[str, Any]:
    statuses = {_TENDER_STATUS[lot["status"]] for lot in p["lots"]}
    status = ("active" if "active" in statuses else "complete" if "complete" in statuses
              else statuses.pop() if len(statuses) == 1 else "unsuccessful")
    opened = [lot for lot in p["lots"] if lot["status"] != "open"]
    tenderers = {b["org_id"]: b["name"] for lot in opened for b in lot["bids"]}
    criteria = "; ".join(f"{c['name']} ({c['name_en'] or c['code']}) {c['weight']}"
                         for c in p["criteria"])
    out: dict[str, Any] = {
        "id": p["tender_id"], "title": p["title"], "status": status,
        "procurementMethod": _METHOD[p["procedure"]],
        "procurementMethodDetails": f"{p['procedure_zh']} ({p['procedure'].replace('_', ' ')})",
        "mainProcurementCategory": "services",
        "value": _value(str(sum(Decimal(lot["ceiling"]) for lot in p["lots"]))),
        "items": _items(p), "awardCriteria": "ratedCriteria",
        "awardCriteriaDetails": criteria, "submissionMethod": ["electronicSubmission"],
        "tenderPeriod": {"startDate": _day(p["published_on"]), "endDate": p["deadline"]},
        "procuringEntity": _party_buyer(p),
        "numberOfTenderers": sum(lot["bids_received"] for lot in p["lots"])}
    if opened:
        out["tenderers"] = [_party_org(k, v) for k, v in sorted(tenderers.items())]
    return out


def _awards(p: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for lot in p["lots"]:
        w = lot["winner"]
        if not w or not lot["awarded_on"]:
            continue
        out.append({"id": f"lot-{lot['number']}-award", "title": lot["title"],
                    "status": "active", "date": _day(lot["awarded_on"]),
                    "value": _value(w["price"]), "suppliers": [_party_org(w["org_id"],
                                                                          w["name"])],
                    "items": [i for i in _items(p) if i["id"] == f"lot-{lot['number']}"],
                    "description": f"standstill until {lot['standstill_until']}"
                    if lot["standstill_until"] else None})
    return out


def _milestones(c: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"id": d["code"], "title": d["name"], "type": "delivery",
             "dueDate": _day(d["due"]),
             "status": "met" if d["accepted_on"] else "scheduled",
             **({"dateMet": _day(d["accepted_on"])} if d["accepted_on"] else {})}
            for d in c["deliverables"]]


def _transactions(p: dict[str, Any], c: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"id": f"funds-tx-{pay['transaction']}", "date": _day(pay["paid_on"]),
             "value": _value(pay["amount"]), "payer": _party_buyer(p),
             "payee": _party_org(c["org_id"], c["org_name"]),
             "source": None}
            for pay in c["payments"] if pay["paid_on"]]


def _contracts(p: dict[str, Any], *, implementation: bool) -> list[dict[str, Any]]:
    out = []
    for c in p["contracts"]:
        entry: dict[str, Any] = {
            "id": c["id"], "awardID": f"lot-{c['lot']}-award", "title": c["id"],
            "status": "terminated" if c["status"] == "completed" else "active",
            "value": _value(c["amount"]), "dateSigned": _day(c["signed_on"]),
            "period": {"startDate": _day(c["start"]), "endDate": _day(c["end"])},
            "milestones": _milestones(c)}
        if implementation:
            entry["implementation"] = {"transactions": _transactions(p, c),
                                       "milestones": _milestones(c)}
        out.append(entry)
    return out


def _stage_date(p: dict[str, Any], stage: str) -> str | None:
    """When a stage happened, or ``None`` if it has not."""
    if stage == "planning":
        return _day(p["project"]["created_on"])
    if stage == "tender":
        return _day(p["published_on"])
    if stage == "award":
        days = [lot["awarded_on"] for lot in p["lots"] if lot["winner"] and lot["awarded_on"]]
        return _day(max(days)) if days else None
    if stage == "contract":
        days = [c["signed_on"] for c in p["contracts"]]
        return _day(max(days)) if days else None
    days = [pay["paid_on"] for c in p["contracts"] for pay in c["payments"]
            if pay["paid_on"]] + [d["accepted_on"] for c in p["contracts"]
                                  for d in c["deliverables"] if d["accepted_on"]]
    return _day(max(days)) if days else None


def _clean(value: Any) -> Any:
    """Drop ``None`` values and mask every string once more."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, str):
        return mask_text(value)
    return value


def _base(p: dict[str, Any], prefix: str, tag: str, date: str) -> dict[str, Any]:
    oc = ocid(prefix, p["tender_id"])
    return {"ocid": oc, "id": f"{oc}-{tag}", "date": date, "tag": [tag],
            "initiationType": "tender", "language": "zh", "buyer": _party_buyer(p)}


def releases(process: dict[str, Any], *, prefix: str = PLACEHOLDER_PREFIX
             ) -> list[dict[str, Any]]:
    """The releases of one contracting process, one per stage reached, oldest first."""
    out = []
    for stage in _STAGES:
        date = _stage_date(process, stage)
        if date is None:
            continue
        rel = _base(process, prefix, stage, date)
        rel["parties"] = _parties(process, stage)
        if stage == "planning":
            rel["planning"] = _planning(process)
        elif stage == "tender":
            rel["tender"] = _tender(process)
        elif stage == "award":
            rel["awards"] = _awards(process)
        else:
            rel["contracts"] = _contracts(process, implementation=stage == "implementation")
        out.append(_clean(rel))
    return out


def compile_release(process: dict[str, Any], *, prefix: str = PLACEHOLDER_PREFIX
                    ) -> dict[str, Any]:
    """The compiled release of a process (tag ``compiled``): the latest of every stage."""
    dates = [d for d in (_stage_date(process, s) for s in _STAGES) if d is not None]
    rel = _base(process, prefix, "compiled", max(dates))
    rel["parties"] = _parties(process, "compiled")
    rel["planning"] = _planning(process)
    rel["tender"] = _tender(process)
    awards = _awards(process)
    if awards:
        rel["awards"] = awards
    if process["contracts"]:
        rel["contracts"] = _contracts(process, implementation=True)
    return dict(_clean(rel))


def _publisher(publisher: str) -> dict[str, Any]:
    return {"name": mask_text(publisher)}


def release_package(processes: list[dict[str, Any]], *, published: str, uri: str,
                    publisher: str, prefix: str = PLACEHOLDER_PREFIX) -> dict[str, Any]:
    """A release package with every release of ``processes`` (from ``ocds_data``)."""
    _check_prefix(prefix)
    return {"uri": uri, "version": OCDS_VERSION, "publishedDate": published,
            "publisher": _publisher(publisher),
            "releases": [r for p in processes for r in releases(p, prefix=prefix)]}


def record_package(processes: list[dict[str, Any]], *, published: str, uri: str,
                   publisher: str, prefix: str = PLACEHOLDER_PREFIX) -> dict[str, Any]:
    """A record package: one record per contracting process, with its releases embedded and
    its compiled release."""
    _check_prefix(prefix)
    records = [{"ocid": ocid(prefix, p["tender_id"]), "releases": releases(p, prefix=prefix),
                "compiledRelease": compile_release(p, prefix=prefix)} for p in processes]
    return {"uri": uri, "version": OCDS_VERSION, "publishedDate": published,
            "publisher": _publisher(publisher), "records": records}


@functools.cache
def release_schema() -> dict[str, Any]:
    """The vendored OCDS 1.1.4 release schema (draft 4), unchanged."""
    text = (resources.files("community_governance.io") / "schemas" / "ocds"
            / "release-schema-1__1__4.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def validate_release(release: dict[str, Any]) -> list[str]:
    """The problems of ``release`` against the OCDS 1.1.4 release schema (Draft 4, with
    format checks); an empty list when it is valid."""
    import jsonschema

    validator = jsonschema.Draft4Validator(release_schema(),
                                           format_checker=jsonschema.FormatChecker())
    return [f"{'/'.join(str(x) for x in e.absolute_path) or '(release)'}: {e.message}"
            for e in sorted(validator.iter_errors(release), key=lambda e: list(e.path))]
