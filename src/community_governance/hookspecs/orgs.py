"""Social-organization hooks (社会组织): incubation milestones, admission criteria, the
standardisation checklist, evaluation indicators and grades, and who may bid first.

Each is told the place it decides for: the organization's community (``community_code``; its
first six digits are the county) and the organization's kind.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from community_governance.markers import hookspec

if TYPE_CHECKING:
    from community_governance.domain.orgs import (
        AdmissionRequirements,
        GradeScheme,
        Indicator,
        Requirement,
    )


@hookspec(firstresult=True)
def cgov_orgs_incubation_milestones(community_code: str, kind: str) -> list[Requirement] | None:
    """Give the milestones an organization reaches in incubation (孵化节点) before its review.

    Called by ``gov.orgs.submit_review`` (every milestone must be recorded) and by
    ``gov.orgs.milestone`` (only a listed milestone may be recorded). The built-in plugin gives
    章程 (charter), 内部治理结构 (governance), 工作人员 (staff) and 财务制度 (finances).

    Args:
        community_code: the community the organization serves (its county is the first six
            digits).
        kind: the organization's kind (an ``OrgKind`` value such as ``"service"``).

    Returns:
        A non-empty list of :class:`~community_governance.domain.orgs.Requirement` with
        distinct codes, or ``None``.

    Stops at first non-None result.

    Example::

        @hookimpl
        def cgov_orgs_incubation_milestones(community_code, kind):
            if community_code.startswith("411202"):
                return [Requirement("charter", "章程"), Requirement("mentor", "孵化导师结对")]
            return None
    """


@hookspec(firstresult=True)
def cgov_orgs_admission_requirements(
    community_code: str, kind: str
) -> AdmissionRequirements | None:
    """Give the admission criteria (准入资格审查): required documents, members and staff.

    Called by ``gov.orgs.submit_document`` (only a listed document may be submitted) and by
    ``gov.orgs.admit``, which refuses an organization that lacks a document, has fewer
    members than ``min_members`` or fewer full-time staff than ``min_full_time_staff``. The
    built-in plugin asks for 成立申请书, 章程草案, 负责人简历 and 活动场所证明, and ten members.

    Args:
        community_code: the community the organization serves.
        kind: the organization's kind.

    Returns:
        :class:`~community_governance.domain.orgs.AdmissionRequirements`, or ``None``.

    Stops at first non-None result.

    Example::

        @hookimpl
        def cgov_orgs_admission_requirements(community_code, kind):
            return AdmissionRequirements(
                documents=[Requirement("application", "成立申请书"),
                           Requirement("charter", "章程草案")],
                min_members=5, min_full_time_staff=1)
    """


@hookspec(firstresult=True)
def cgov_orgs_standardisation_checklist(
    community_code: str, kind: str
) -> list[Requirement] | None:
    """Give the standardisation checklist (标准化建设) an admitted organization must meet.

    Called by ``gov.orgs.check_item`` and ``gov.orgs.standardise`` (every item must be
    ticked). The built-in plugin gives the study's three: 组织机构正式, 流程规范, 管理科学.

    Args:
        community_code: the community the organization serves.
        kind: the organization's kind.

    Returns:
        A non-empty list of :class:`~community_governance.domain.orgs.Requirement` with
        distinct codes, or ``None``.

    Stops at first non-None result.

    Example::

        @hookimpl
        def cgov_orgs_standardisation_checklist(community_code, kind):
            return [Requirement("formal_structure", "组织机构正式"),
                    Requirement("standard_process", "流程规范"),
                    Requirement("scientific_management", "管理科学"),
                    Requirement("public_disclosure", "信息公开")]
    """


@hookspec(firstresult=True)
def cgov_orgs_evaluation_indicators(community_code: str, kind: str) -> list[Indicator] | None:
    """Give the performance-evaluation indicators (评估指标) and their weights.

    Called by ``gov.orgs.evaluate``. Indicators drawn from records (activities, volunteer
    hours, cases, funds) are scored from the library's own records; assessed ones by the
    evaluators. The weights must add up to the grade scheme's scale
    (``cgov_orgs_grade_scheme``, 1,000 points nationally).

    Args:
        community_code: the community the organization serves.
        kind: the organization's kind.

    Returns:
        A non-empty list of :class:`~community_governance.domain.orgs.Indicator` with distinct
        codes whose weights add up to the scale, or ``None``.

    Stops at first non-None result.

    Example::

        @hookimpl
        def cgov_orgs_evaluation_indicators(community_code, kind):
            return [Indicator("governance", "内部治理", 400, "assessed"),
                    Indicator("volunteer_hours", "志愿服务时长", 400, "volunteer_hours", 800),
                    Indicator("reputation", "社会评价", 200, "assessed")]
    """


@hookspec(firstresult=True)
def cgov_orgs_grade_scheme(community_code: str) -> GradeScheme | None:
    """Give the evaluation grade scheme (评估等级): thresholds of 5A-1A, validity, upgrade wait.

    Called by ``gov.orgs.evaluate`` and the bid checks. The built-in plugin gives the
    national scheme: 1,000 points, 5A from 900, 4A 800, 3A 700, 2A 600, 1A 500, valid five
    years, an upgrade no sooner than two years after the last evaluation.

    Args:
        community_code: the community the organization serves.

    Returns:
        A :class:`~community_governance.domain.orgs.GradeScheme`, or ``None``.

    Stops at first non-None result.

    Example::

        @hookimpl
        def cgov_orgs_grade_scheme(community_code):
            return GradeScheme({"5A": 950, "4A": 850, "3A": 750, "2A": 650, "1A": 550})
    """


@hookspec(firstresult=True)
def cgov_orgs_bid_tier(community_code: str, grade: str | None) -> int | None:
    """Say when an active organization of a grade may bid for purchased services (招投标).

    Called by ``gov.orgs.bid_eligibility`` and ``gov.orgs.bidders`` for an active
    organization; ``grade`` is its valid grade (``"5A"``...) or ``None`` when it has none.
    The built-in plugin lets 3A and above bid first (tier 1) and the rest after them (tier 2).

    Args:
        community_code: the community the organization serves.
        grade: its valid grade, or ``None``.

    Returns:
        0 (may not bid), 1 (first round), 2 or 3 (later rounds), or ``None``.

    Stops at first non-None result.

    Example::

        @hookimpl
        def cgov_orgs_bid_tier(community_code, grade):
            return 0 if grade is None else None   # ungraded organizations may not bid here
    """
