"""The test kit checks the social-organization hooks (``cgov_orgs_*``) of any county."""

from __future__ import annotations

from community_governance.testing.conformance import check_plugin
from tests.orgs.test_rules import Nonsense


def test_the_kit_names_each_nonsense_answer_for_another_county() -> None:
    """For 湖滨区 (from the plugin's scope, or named), the three broken hooks are reported,
    each by name with the bad value; the national defaults and Hubin's plugin pass."""
    import community_governance.defaults.orgs as national
    from cgov_hubin import plugin

    for problems in (check_plugin(Nonsense()), check_plugin(Nonsense(), counties=["411202"])):
        assert sorted(p.split(":")[0] for p in problems) == [
            "cgov_orgs_admission_requirements", "cgov_orgs_bid_tier",
            "cgov_orgs_evaluation_indicators"], problems
        assert any("9" in p for p in problems if p.startswith("cgov_orgs_bid_tier"))
    assert [] == check_plugin(national)
    assert [] == check_plugin(plugin, counties=["411202"])
