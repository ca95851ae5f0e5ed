"""The public disclosure of awards and contracts (中标及合同公开) rendered as JSON or as text,
in Chinese (``lang="zh"``, the default) or English.

The data come from :meth:`community_governance.services.tenders.TendersService.disclosure_data`:
organizations, public titles and amounts only; every text passes the library's masking of ID
and mobile numbers once more as a last guard.
"""

from __future__ import annotations

import json
from typing import Any

from community_governance.errors import ValidationError
from community_governance.masking import mask_text

__all__ = ["render_json", "render_text"]

_LANGS = ("zh", "en")
_LABELS = {
    "zh": {"title": "政府购买服务中标及合同公开", "unit": "单位", "year": "年度",
           "none": "暂无中标项目",
           "lot": "标段", "procedure": "采购方式", "winner": "中标人", "amount": "中标金额",
           "bids": "投标人数", "standstill": "质疑期至", "provisional": "（暂定）",
           "contract": "合同", "term": "服务期", "paid": "已支付", "performance": "履约评价",
           "awarded": "中标日期", "ceiling": "最高限价", "yuan": "元"},
    "en": {"title": "Purchase of services: awards and contracts", "unit": "Unit",
           "year": "Year", "none": "No award yet", "lot": "Lot", "procedure": "Procedure",
           "winner": "Winner", "amount": "Amount", "bids": "Bids",
           "standstill": "Objections until", "provisional": " (provisional)",
           "contract": "Contract", "term": "Term", "paid": "Paid",
           "performance": "Performance", "awarded": "Awarded on", "ceiling": "Ceiling",
           "yuan": "CNY"},
}


def _check(lang: str) -> dict[str, str]:
    if lang not in _LANGS:
        raise ValidationError(f"lang must be one of {list(_LANGS)}, got {lang!r}", path="lang")
    return _LABELS[lang]


def render_json(data: dict[str, Any], lang: str = "zh") -> str:
    """The disclosure as JSON (UTF-8 text), with the labels of ``lang``."""
    labels = _check(lang)
    return mask_text(json.dumps({"lang": lang, "title": labels["title"], **data},
                                ensure_ascii=False, indent=2, sort_keys=True))


def render_text(data: dict[str, Any], lang: str = "zh") -> str:
    """The disclosure as plain text for a notice board (公示栏), in ``lang``."""
    lb = _check(lang)
    head = f"{lb['title']} — {data['unit_name']} ({data['unit']})"
    if data.get("year"):
        head += f" {lb['year']} {data['year']}"
    lines = [head, ""]
    if not data["awards"]:
        lines.append(lb["none"])
    for a in data["awards"]:
        proc = a["procedure_zh"] if lang == "zh" else a["procedure"].replace("_", " ")
        lines.append(f"{a['tender_title']} · {lb['lot']} {a['lot']}: {a['lot_title']}")
        lines.append(f"  {lb['procedure']}: {proc}; {lb['bids']}: {a['bids']}; "
                     f"{lb['ceiling']}: {a['ceiling']} {lb['yuan']}")
        lines.append(f"  {lb['winner']}: {a['winner']}; {lb['amount']}: {a['amount']} "
                     f"{lb['yuan']}; {lb['awarded']}: {a['awarded_on']}")
        if a["standstill_until"]:
            prov = lb["provisional"] if a["standstill_provisional"] else ""
            lines.append(f"  {lb['standstill']}: {a['standstill_until']}{prov}")
        c = a.get("contract")
        if c:
            perf = "" if c["performance"] is None else f"; {lb['performance']}: " \
                                                       f"{c['performance']}"
            lines.append(f"  {lb['contract']} {c['id']}: {c['amount']} {lb['yuan']}; "
                         f"{lb['term']}: {c['start']} – {c['end']}; {lb['paid']}: "
                         f"{c['paid']} {lb['yuan']}{perf}")
    return mask_text("\n".join(lines) + "\n")
