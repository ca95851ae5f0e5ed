"""Conformance contracts of the social-organization hooks (``cgov_orgs_*``).

Each contract draws the arguments ``gov.orgs`` passes (a community, mostly of the counties
being checked, and an organization kind or grade) and checks an answer with the check the
service applies. The indicators are checked against the national 1,000-point scale: a plugin
that changes the scale (``cgov_orgs_grade_scheme``) must give indicators that add up to it,
which the service checks with the place's own scheme.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hypothesis import strategies as st

if TYPE_CHECKING:
    from community_governance.testing.conformance import HookContract

__all__ = ["contracts"]


def contracts() -> dict[str, HookContract]:
    """Hook name → contract, for the six ``cgov_orgs_*`` hooks."""
    from community_governance.domain.orgs import Grade, OrgKind
    from community_governance.services.orgs.common import (
        expect_admission,
        expect_grade_scheme,
        expect_indicators,
        expect_requirements,
        expect_tier,
    )
    from community_governance.testing.conformance import HookContract
    from community_governance.testing.contracts_more import _communities

    def kw(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
        return st.fixed_dictionaries(fields)

    kinds = st.sampled_from([k.value for k in OrgKind])
    place_kind = kw(community_code=_communities(), kind=kinds)
    return {
        "cgov_orgs_incubation_milestones": HookContract(place_kind, expect_requirements),
        "cgov_orgs_admission_requirements": HookContract(place_kind, expect_admission),
        "cgov_orgs_standardisation_checklist": HookContract(place_kind, expect_requirements),
        "cgov_orgs_evaluation_indicators": HookContract(place_kind, expect_indicators(1000)),
        "cgov_orgs_grade_scheme": HookContract(kw(community_code=_communities()),
                                               expect_grade_scheme),
        "cgov_orgs_bid_tier": HookContract(
            kw(community_code=_communities(),
               grade=st.none() | st.sampled_from([g.value for g in Grade])), expect_tier),
    }
