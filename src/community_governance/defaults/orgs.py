"""National defaults for social organizations (社会组织): milestones, admission, checklist,
indicators, the grade scheme and who may bid first."""

from __future__ import annotations

from community_governance.domain.funds import Account, AccountType
from community_governance.domain.orgs import (
    DEFAULT_ADMISSION,
    DEFAULT_CHECKLIST,
    DEFAULT_GRADE_SCHEME,
    DEFAULT_INDICATORS,
    DEFAULT_MILESTONES,
    AdmissionRequirements,
    Grade,
    GradeScheme,
    Indicator,
    Requirement,
)
from community_governance.markers import hookimpl

#: The expense account of training subsidies for organizations' staff (人才培训补贴).
TRAINING_SUBSIDY = Account("5106", "社会组织人才培训补贴", "Training subsidies for social "
                           "organizations' staff", AccountType.EXPENSE, "general")

#: The least grade that bids in the first round (3A and above first).
FIRST_ROUND_GRADE = Grade.A3


@hookimpl(trylast=True)
def cgov_orgs_incubation_milestones(community_code: str, kind: str) -> list[Requirement]:
    """章程, 内部治理结构, 工作人员, 财务制度."""
    return list(DEFAULT_MILESTONES)


@hookimpl(trylast=True)
def cgov_orgs_admission_requirements(community_code: str, kind: str) -> AdmissionRequirements:
    """成立申请书, 章程草案, 负责人简历, 活动场所证明; at least 10 members."""
    return DEFAULT_ADMISSION


@hookimpl(trylast=True)
def cgov_orgs_standardisation_checklist(community_code: str, kind: str) -> list[Requirement]:
    """组织机构正式, 流程规范, 管理科学."""
    return list(DEFAULT_CHECKLIST)


@hookimpl(trylast=True)
def cgov_orgs_evaluation_indicators(community_code: str, kind: str) -> list[Indicator]:
    """基础条件 100, 内部治理 300, 社会评价 200 (assessed); 开展活动 150, 志愿服务时长 150,
    协助办结事务 50, 承接购买服务 25, 履约评价 25 (from the records): 1,000 points."""
    return list(DEFAULT_INDICATORS)


@hookimpl(trylast=True)
def cgov_orgs_grade_scheme(community_code: str) -> GradeScheme:
    """1,000 points; 5A ≥ 900, 4A ≥ 800, 3A ≥ 700, 2A ≥ 600, 1A ≥ 500; valid 5 years, upgrade
    after 2."""
    return DEFAULT_GRADE_SCHEME


@hookimpl(trylast=True)
def cgov_orgs_bid_tier(community_code: str, grade: str | None) -> int:
    """3A and above bid first (tier 1); lower grades and ungraded organizations after them
    (tier 2)."""
    if grade is not None and Grade(grade).rank >= FIRST_ROUND_GRADE.rank:
        return 1
    return 2


@hookimpl(trylast=True)
def cgov_funds_accounts(community_code: str) -> list[Account]:
    """社会组织人才培训补贴 (5106), the expense account training subsidies are paid from."""
    return [TRAINING_SUBSIDY]
