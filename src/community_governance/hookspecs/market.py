"""Market hooks (市场主体): the rule an owners' vote is counted under, and the catalogue of
community services (free and paid) a community starts with."""

from __future__ import annotations

from typing import TYPE_CHECKING

from community_governance.markers import hookspec

if TYPE_CHECKING:
    from community_governance.domain.market import CommunityService, OwnersVoteRule


@hookspec(firstresult=True)
def cgov_owners_vote_rule(community_code: str, compound_code: str,
                          matter: str) -> OwnersVoteRule | None:
    """Give the rule an owners' vote (业主共同决定) of a compound is counted under: the
    participation needed and the approval needed, each by exclusive area and by headcount.

    Called by ``gov.market.owners_vote`` once per vote, before anything is written. The answer
    may ask more than Article 278 of the Civil Code (a compound's management rules 管理规约 or
    a local regulation may), never less: a looser rule is a ``PluginError`` naming the plugin,
    and nothing is written.

    Args:
        community_code: the compound's community (the place whose rule this is).
        compound_code: the compound voting.
        matter: an ``OwnersMatter`` value (``"elect_committee"``, ``"raise_maintenance_fund"``...).

    Returns:
        An :class:`~community_governance.domain.market.OwnersVoteRule`, or ``None`` to leave it
        to the next plugin (the national default: Art. 278, participation of at least two
        thirds of the area and of the owners; more than half of the participating area and
        owners, or at least three quarters for raising maintenance funds, rebuilding and
        changing the use of common parts).

    Stops at first non-None result.

    Example::

        @hookimpl
        def cgov_owners_vote_rule(community_code, compound_code, matter):
            if matter == "use_maintenance_fund":  # ask two thirds, as the Property Law did
                return OwnersVoteRule(Threshold(Fraction(2, 3)), Threshold(Fraction(2, 3)))
            return None
    """


@hookspec(firstresult=True)
def cgov_market_service_catalogue(community_code: str) -> list[CommunityService] | None:
    """Give the catalogue of community services (社区服务项目) a community starts with, free
    (免费服务) and paid (有偿服务).

    Called by ``gov.market.seed_catalogue`` (and the demo); services already in the community's
    catalogue are kept as they are.

    Args:
        community_code: the community.

    Returns:
        A list of :class:`~community_governance.domain.market.CommunityService` of that
        community (fees in CNY as ``Decimal``, ``0`` for free), or ``None`` to leave it to the
        next plugin (the national default: free 便民服务, 老年人日间照料 and 文体活动; paid
        家政服务, 设施修理 and 居家养老上门服务).

    Stops at first non-None result.

    Example::

        @hookimpl
        def cgov_market_service_catalogue(community_code):
            return [CommunityService(f"{community_code}-S01", community_code, "家电维修",
                                     fee=Decimal("30"), unit="次", kind="repair")]
    """
