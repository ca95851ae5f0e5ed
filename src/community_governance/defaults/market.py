"""National defaults for market actors: owners' votes counted under Article 278 of the Civil
Code, and the catalogue of community services a community starts with."""

from __future__ import annotations

from decimal import Decimal

from community_governance.domain.market import (
    CommunityService,
    OwnersVoteRule,
    ServiceKind,
    owners_rule,
)
from community_governance.markers import hookimpl

__all__ = ["DEFAULT_CATALOGUE", "cgov_market_service_catalogue", "cgov_owners_vote_rule"]

#: The national default catalogue: (suffix, name, fee in CNY, unit, kind). Free services come
#: from the study's service centres (便民, 日间照料, 文体); paid ones from the market actors it
#: names (家政, 设施修理, 居家养老), at fees below the market's (assumed).
DEFAULT_CATALOGUE: tuple[tuple[str, str, str, str, ServiceKind | None], ...] = (
    ("S01", "便民代办服务", "0", "次", None),
    ("S02", "老年人日间照料", "0", "天", ServiceKind.ELDERLY_CARE),
    ("S03", "文体活动场地", "0", "次", None),
    ("S04", "家政保洁", "35", "小时", ServiceKind.DOMESTIC),
    ("S05", "水电设施修理", "20", "次", ServiceKind.REPAIR),
    ("S06", "居家养老上门服务", "25", "小时", ServiceKind.ELDERLY_CARE),
)


@hookimpl(trylast=True)
def cgov_owners_vote_rule(community_code: str, compound_code: str,
                          matter: str) -> OwnersVoteRule | None:
    """Article 278 of the Civil Code (民法典第二百七十八条)."""
    return owners_rule(matter)


@hookimpl(trylast=True)
def cgov_market_service_catalogue(community_code: str) -> list[CommunityService] | None:
    """Three free services and three paid ones (:data:`DEFAULT_CATALOGUE`)."""
    return [CommunityService(f"{community_code}-{suffix}", community_code, name,
                             fee=Decimal(fee), unit=unit, kind=kind)
            for suffix, name, fee, unit, kind in DEFAULT_CATALOGUE]
