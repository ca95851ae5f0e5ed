"""Party-building hooks: residents' evaluation of party members (群众评议党员), festival
visits to outstanding members (节日走访慰问) and the consultative council's voting rule
(协商议事会)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from community_governance.markers import hookspec

if TYPE_CHECKING:
    from community_governance.domain.council import VoteRule


@hookspec(firstresult=True)
def cgov_party_evaluation_electorate(community_code: str) -> str | None:
    """Say who may evaluate a party member in a community: the residents of the member's grid
    (``"grid"``) or of the member's building (``"building"``).

    Called by ``gov.party.open_evaluation`` once per round, before anything is written; the
    answer is fixed in the round, so a later change of rule does not move a round under way.
    A ballot from a resident outside the member's grid (or building) is refused with a
    ``PermissionDenied`` and nothing is written.

    Args:
        community_code: the community whose round opens (the place whose rule this is).

    Returns:
        ``"grid"`` or ``"building"``, or ``None`` to leave it to the next plugin (the national
        default is ``"grid"``: 本网格居民评议). Any other answer is a ``PluginError`` and
        nothing is written.

    Stops at first non-None result.

    Example::

        @hookimpl
        def cgov_party_evaluation_electorate(community_code):
            if community_code.startswith("411202"):  # 湖滨区: neighbours in the building
                return "building"
            return None
    """


@hookspec(firstresult=True)
def cgov_party_evaluation_grades(community_code: str) -> list[str] | None:
    """Give the grades residents choose from when they evaluate a party member, best first.

    Called by ``gov.party.open_evaluation`` once per round, before anything is written; the
    grades are fixed in the round.

    Args:
        community_code: the community whose round opens (the place whose rule this is).

    Returns:
        A non-empty list of distinct grade names (at most 20 characters each), best first, or
        ``None`` to leave it to the next plugin (the national default is
        ``["优秀", "合格", "基本合格", "不合格"]``). Any other answer is a ``PluginError`` and
        nothing is written.

    Stops at first non-None result.

    Example::

        @hookimpl
        def cgov_party_evaluation_grades(community_code):
            if community_code.startswith("411281"):  # three grades
                return ["满意", "基本满意", "不满意"]
            return None
    """


@hookspec(firstresult=True)
def cgov_party_evaluation_min_ballots(community_code: str) -> int | None:
    """Say how many ballots a member's evaluation result needs before its counts are shown.

    Called by ``gov.party.close_evaluation`` once per round, before anything is written; the
    number is fixed in the round. A result with fewer ballots is withheld (the member and the
    committee see only how many residents took part), so that no small group of voters can be
    singled out from the counts.

    Args:
        community_code: the community whose round closes (the place whose rule this is).

    Returns:
        A whole number from 3 to 1000, or ``None`` to leave it to the next plugin (the national
        default is 10). Any other answer is a ``PluginError`` and nothing is written.

    Stops at first non-None result.

    Example::

        @hookimpl
        def cgov_party_evaluation_min_ballots(community_code):
            if community_code.startswith("411202"):  # 湖滨区: at least 8 ballots
                return 8
            return None
    """


@hookspec(firstresult=True)
def cgov_council_vote_rule(community_code: str, kind: str) -> VoteRule | None:
    """Give the rule a community's consultative council (协商议事会) votes under: the majority
    of the members present a motion needs, and the quorum of the roster.

    Called by ``gov.council.vote`` once per motion, before anything is written. A vote without
    the quorum is refused with a ``ConflictError`` and nothing is written; a motion carried
    under the rule can become a decision.

    Args:
        community_code: the council's community (the place whose rule this is).
        kind: ``"ordinary"`` (一般事项) or ``"major"`` (重大事项).

    Returns:
        A :class:`~community_governance.domain.council.VoteRule`, or ``None`` to leave it to
        the next plugin (the national default: more than half of the members present for an
        ordinary matter, two thirds for a major one; more than half of the roster attending).
        Any other answer is a ``PluginError`` and nothing is written.

    Stops at first non-None result.

    Example::

        @hookimpl
        def cgov_council_vote_rule(community_code, kind):
            if community_code.startswith("411202"):  # 湖滨区: two thirds for everything
                return VoteRule(majority="two_thirds", quorum=0.5)
            return None
    """


@hookspec(firstresult=True)
def cgov_party_visit_window(community_code: str, festival: str) -> int | None:
    """Say how many days before a lunar festival the county leaders' visits to a community's
    outstanding party members (节日走访慰问优秀党员) count as that festival's visits.

    Called by ``gov.party.plan_festival_visits`` and ``gov.party.record_festival_visits`` once
    per community and festival, before anything is written. A visit outside the window (from
    that many days before the festival to the festival itself) is refused with a
    ``ValidationError`` and nothing is written.

    Args:
        community_code: the community of the members visited (the place whose rule this is).
        festival: the festival (``spring_festival``, ``lantern``, ``dragon_boat``,
            ``mid_autumn``, ``double_ninth`` or ``new_years_eve``), dated by the lunar
            calendar (``community_governance.calendars.lunar``).

    Returns:
        A whole number of days from 0 to 30, or ``None`` to leave it to the next plugin (the
        national default is 10). Any other answer is a ``PluginError`` and nothing is written.

    Stops at first non-None result.

    Example::

        @hookimpl
        def cgov_party_visit_window(community_code, festival):
            if community_code.startswith("411202") and festival == "spring_festival":
                return 20  # 湖滨区: the whole month before the Spring Festival counts
            return None
    """
