"""The community-affairs board (社区事务公开栏) as printable Chinese HTML (English available)
and JSON, from the postings of :class:`~community_governance.services.affairs.AffairsService`.

Bodies were redacted when posted; every text is passed through the library's masking of ID and
mobile numbers again as a last guard, and the page is autoescaped.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Sequence
from typing import Any

import jinja2

from community_governance.masking import mask_text
from community_governance.services.affairs import Posting, PostingKind

__all__ = ["as_dict", "render_html", "render_json"]

_LABELS = {
    "zh": {"title": "社区事务公开", "as_of": "公开日期", "period": "公示期",
           "acknowledged": "已阅知", "objections": "异议", "nothing": "本期无公开事项",
           "footer": "如有异议，请于公示期内向社区居委会提出。"},
    "en": {"title": "community affairs disclosure", "as_of": "as of", "period": "posted",
           "acknowledged": "acknowledged", "objections": "objections",
           "nothing": "nothing posted", "footer": "Objections are received during the "
           "posting period by the residents' committee."},
}
_KIND_EN = {"decision": "decision", "progress": "progress", "minutes": "minutes",
            "evaluation": "evaluation", "service_change": "service change"}


def as_dict(postings: Sequence[Posting], community: str, on: dt.date) -> dict[str, Any]:
    """The board as JSON-ready data."""
    return {"community": community, "as_of": on.isoformat(), "postings": [
        {"id": p.id, "kind": p.kind.value, "kind_zh": p.kind.chinese,
         "title": mask_text(p.title), "body": mask_text(p.body), "source": p.source,
         "posted_on": p.posted_on.isoformat(), "until": p.until.isoformat(),
         "acknowledged": p.acknowledged, "objections": p.objections} for p in postings]}


def render_json(postings: Sequence[Posting], community: str, on: dt.date) -> str:
    """The board as JSON text (Chinese kept readable)."""
    return json.dumps(as_dict(postings, community, on), ensure_ascii=False, indent=2)


@functools.cache
def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("community_governance", "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
        lstrip_blocks=True)


def render_html(postings: Sequence[Posting], community_name: str, on: dt.date,
                lang: str = "zh") -> str:
    """The board as a self-contained, printable HTML page (inline CSS, no scripts)."""
    if lang not in _LABELS:
        raise ValueError(f"lang is 'zh' or 'en', got {lang!r}")
    safe = [Posting(p.id, p.community_code, p.kind, mask_text(p.title), mask_text(p.body),
                    p.source, p.posted_on, p.until, p.acknowledged, p.objections)
            for p in postings]
    kinds = {k.value: (k.chinese if lang == "zh" else _KIND_EN[k.value]) for k in PostingKind}
    return _env().get_template("affairs/board.html.j2").render(
        postings=safe, community_name=community_name, on=on, lang=lang, L=_LABELS[lang],
        kind_label=kinds)
