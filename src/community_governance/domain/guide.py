"""The service guide (办事指南): matters residents can have handled, and how.

Every community publishes its service guide on its WeChat official account (微信公众号): for
each matter (事项) the conditions (办理条件), the materials to bring (所需材料), the procedure
(办理流程), the office (办理地点) and its phone. Matters belong to a domain (领域): civil
affairs (民政), social security (社会保障), health (卫生健康) or public security (公安). Every
change is a new version; old versions are kept.

This module is pure: no I/O, no clock. Search works on Chinese text without a word segmenter:
a query term matches as a substring, and a term that does not occur scores by the share of its
character pairs (bigrams) that do.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from community_governance.errors import ValidationError

__all__ = ["GuideDomain", "GuideMatter", "query_terms", "score_matter"]


class GuideDomain(enum.StrEnum):
    """The domain (领域) of a service guide matter."""

    CIVIL_AFFAIRS = "civil_affairs"  #: 民政
    SOCIAL_SECURITY = "social_security"  #: 社会保障
    HEALTH = "health"  #: 卫生健康
    PUBLIC_SECURITY = "public_security"  #: 公安 (户政)

    @property
    def chinese(self) -> str:
        """The Chinese term, e.g. ``民政``."""
        return {"civil_affairs": "民政", "social_security": "社会保障", "health": "卫生健康",
                "public_security": "公安"}[self.value]

    @classmethod
    def parse(cls, text: str) -> GuideDomain:
        """A domain by value or Chinese name.

        Raises:
            ValidationError: no domain has that name.
        """
        for d in cls:
            if text.strip() in (d.value, d.chinese):
                return d
        raise ValidationError(
            f"unknown guide domain {text!r}; use one of "
            + ", ".join(f"{d.value} ({d.chinese})" for d in cls), path="domain")


def _texts(value: Iterable[str] | str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    return tuple(v.strip() for v in value if v and v.strip())


_CODE = re.compile(r"[A-Z]{2,4}-\d{3,4}")


@attrs.frozen
class GuideMatter:
    """A matter of the service guide (办事指南事项).

    Attributes:
        code: a stable code, e.g. ``MZ-001`` (letters, a dash, digits).
        title: the matter's name, e.g. ``最低生活保障申请``.
        domain: the domain (领域).
        conditions: who may apply (办理条件), one sentence each.
        materials: what to bring (所需材料).
        procedure: the steps (办理流程), in order.
        office: where it is handled (办理地点).
        phone: the office's phone (咨询电话), a public number.
        time_limit_days: the legal time limit in working days (办理时限), if any.
        fee: the fee (收费标准), ``免费`` by default.
        basis: the legal basis (设定依据).
        unit_code: the unit that publishes it (a community, or the county for all).
        proxy_available: whether the community can handle it for the resident (可代办).
        home_visit_available: whether it can be handled at home (可上门办理).
    """

    code: str
    title: str
    domain: GuideDomain = attrs.field(converter=GuideDomain)
    conditions: tuple[str, ...] = attrs.field(converter=_texts)
    materials: tuple[str, ...] = attrs.field(converter=_texts)
    procedure: tuple[str, ...] = attrs.field(converter=_texts)
    office: str
    phone: str
    time_limit_days: int | None = None
    fee: str = "免费"
    basis: str = ""
    unit_code: str | None = None
    proxy_available: bool = False
    home_visit_available: bool = False

    def __attrs_post_init__(self) -> None:
        if not _CODE.fullmatch(self.code):
            raise ValidationError(
                f"guide matter code {self.code!r} must look like 'MZ-001' (2-4 capital "
                "letters, a dash, 3-4 digits)", path="code")
        for name in ("title", "office", "phone"):
            if not getattr(self, name).strip():
                raise ValidationError(f"guide matter {self.code} needs a {name}", path=name)
        for name in ("materials", "procedure"):
            if not getattr(self, name):
                raise ValidationError(
                    f"guide matter {self.code} lists no {name}; a guide tells residents what "
                    "to bring and what happens", path=name)
        if self.time_limit_days is not None and not 0 < self.time_limit_days <= 365:
            raise ValidationError("time_limit_days must be 1-365 working days",
                                  path="time_limit_days")

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the published form)."""
        out = attrs.asdict(self)
        out["domain"] = self.domain.value
        out["domain_name"] = self.domain.chinese
        for key in ("conditions", "materials", "procedure"):
            out[key] = list(out[key])
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GuideMatter:
        """Build a matter from :meth:`as_dict` output (unknown keys refused).

        Raises:
            ValidationError: a key is unknown or missing, or a value is invalid.
        """
        fields = {f.name for f in attrs.fields(cls)}
        extra = set(data) - fields - {"domain_name"}
        if extra:
            raise ValidationError(f"unknown keys {sorted(extra)}; expected some of "
                                  f"{sorted(fields)}", path="$")
        missing = {"code", "title", "domain", "conditions", "materials", "procedure",
                   "office", "phone"} - set(data)
        if missing:
            raise ValidationError(f"missing keys {sorted(missing)}", path="$")
        kwargs = {k: v for k, v in data.items() if k in fields}
        if not isinstance(kwargs["domain"], GuideDomain):
            kwargs["domain"] = GuideDomain.parse(str(kwargs["domain"]))
        return cls(**kwargs)

    def search_text(self) -> str:
        """The text search looks in: title, conditions, materials, procedure, office."""
        return "\n".join([self.title, self.domain.chinese, *self.conditions, *self.materials,
                          *self.procedure, self.office])


_SPLIT = re.compile(r"[\s,，。;；、/|]+")


def query_terms(query: str) -> list[str]:
    """Split a query into terms at spaces and Chinese or Latin punctuation."""
    return [t for t in _SPLIT.split(query.strip().lower()) if t]


def _bigrams(text: str) -> set[str]:
    return {text[i:i + 2] for i in range(len(text) - 1)} if len(text) > 1 else {text}


def score_matter(matter: GuideMatter, terms: Iterable[str]) -> float:
    """How well ``matter`` answers the query terms (0 = not at all).

    A term in the title scores 3, elsewhere 1; a term found nowhere scores the share of its
    character bigrams found in the title (the query 养老保险 finds 城乡居民养老保险 directly,
    and 居住证明 still finds 居住证办理 by 居住, 住证).
    """
    title = matter.title.lower()
    body = matter.search_text().lower()
    score = 0.0
    for term in terms:
        if term in title:
            score += 3
        elif term in body:
            score += 1
        else:
            grams = _bigrams(term)
            hits = sum(1 for g in grams if g in title)
            share = hits / len(grams)
            if share >= 0.5:
                score += share
    return score
