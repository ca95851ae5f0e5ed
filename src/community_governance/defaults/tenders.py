"""National defaults for the purchase of services (政府购买服务): the procedures with their
time limits, the scoring criteria, and the expense account purchased services are paid from."""

from __future__ import annotations

from community_governance.domain.funds import Account, AccountType
from community_governance.domain.tenders import (
    DEFAULT_CRITERIA,
    DEFAULT_PROCEDURES,
    Criterion,
    Procedure,
    ProcedureRules,
)
from community_governance.markers import hookimpl

#: The expense account of purchased services (政府购买服务支出).
PURCHASED_SERVICES = Account("5107", "政府购买服务支出", "Purchased services",
                             AccountType.EXPENSE, "general")


@hookimpl(trylast=True)
def cgov_tenders_procedure(county_code: str, procedure: str) -> ProcedureRules | None:
    """公开招标 15 working days, ≥3 bids, a panel of 5; 竞争性磋商 8, ≥2, 3; 单一来源 5, 1, 3;
    seven working days for objections."""
    try:
        return DEFAULT_PROCEDURES[Procedure(procedure)]
    except ValueError:
        return None


@hookimpl(trylast=True)
def cgov_tenders_scoring_criteria(community_code: str, category: str) -> list[Criterion]:
    """价格 30 (computed), 服务方案 30, 类似项目经验 20, 人员配备 20."""
    return list(DEFAULT_CRITERIA)


@hookimpl(trylast=True)
def cgov_funds_accounts(community_code: str) -> list[Account]:
    """政府购买服务支出 (5107), the expense account contract payments are drawn from."""
    return [PURCHASED_SERVICES]
