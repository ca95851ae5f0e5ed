"""National defaults for community funds: the standard chart of accounts, approvals by amount,
no spending beyond the budget, and the large-item threshold of disclosures."""

from __future__ import annotations

from decimal import Decimal

from community_governance.domain.funds import Account, AccountType
from community_governance.domain.posts import PostKind
from community_governance.markers import hookimpl

#: Above this amount (CNY) a disbursement needs the director and the sub-district.
APPROVAL_THRESHOLD = Decimal("5000.00")
#: From this amount (CNY) a disclosure lists a transaction by itself.
LARGE_ITEM = Decimal("5000.00")

A = AccountType
#: The standard chart of accounts of a community (社区经费会计科目).
STANDARD_CHART: tuple[Account, ...] = (
    Account("1001", "库存现金", "Cash on hand", A.ASSET),
    Account("1002", "银行存款", "Bank deposits", A.ASSET),
    Account("1201", "应收款项", "Receivables", A.ASSET),
    Account("1501", "实物资产", "Assets in kind (equipment)", A.ASSET),
    Account("2201", "应付款项", "Payables", A.LIABILITY),
    Account("2301", "代管资金", "Funds held for others", A.LIABILITY),
    Account("3101", "办公经费结余", "Office funds balance", A.NET_ASSETS, "office"),
    Account("3102", "关爱基金结余", "Care fund balance", A.NET_ASSETS, "care"),
    Account("3103", "文化基金结余", "Culture fund balance", A.NET_ASSETS, "culture"),
    Account("3109", "其他资金结余", "Other funds balance", A.NET_ASSETS, "general"),
    Account("4101", "办公经费", "Office funds", A.INCOME, "office"),
    Account("4102", "困难群众关爱基金", "Care fund", A.INCOME, "care"),
    Account("4103", "文化活动基金", "Culture fund", A.INCOME, "culture"),
    Account("4201", "捐赠收入", "Donations", A.INCOME, "general"),
    Account("4301", "有偿服务收入", "Service income", A.INCOME, "general"),
    Account("4401", "共建单位支持", "Partner-unit support", A.INCOME, "general"),
    Account("4501", "实物捐赠收入", "Support in kind", A.INCOME, "general"),
    Account("4601", "投资收益", "Investment income", A.INCOME, "general"),
    Account("5101", "办公支出", "Office expenses", A.EXPENSE, "office"),
    Account("5102", "困难群众关爱支出", "Care fund spending", A.EXPENSE, "care"),
    Account("5103", "文化活动支出", "Culture activities", A.EXPENSE, "culture"),
    Account("5104", "服务设施维护", "Facilities and services", A.EXPENSE, "general"),
    Account("5105", "其他支出", "Other expenses", A.EXPENSE, "general"),
)


@hookimpl(trylast=True)
def cgov_funds_accounts(community_code: str) -> list[Account] | None:
    """The standard chart: office, care and culture funds, donations, service income,
    partner-unit support and in kind, with the asset, liability, net-asset and expense accounts
    double entry needs."""
    return list(STANDARD_CHART)


@hookimpl(trylast=True)
def cgov_funds_required_approvals(
    community_code: str, account: str, amount: Decimal
) -> list[str] | None:
    """The director approves; above 5,000 CNY the director and the sub-district both do."""
    if amount > APPROVAL_THRESHOLD:
        return [PostKind.DIRECTOR.value, PostKind.SUBDISTRICT_STAFF.value]
    return [PostKind.DIRECTOR.value]


@hookimpl(trylast=True)
def cgov_funds_over_budget(
    community_code: str, account: str, year: int, amount: Decimal, budget: Decimal,
    committed: Decimal,
) -> list[str] | bool | None:
    """National rule: no spending beyond the budget; the county may allow it with approvals."""
    return False


@hookimpl(trylast=True)
def cgov_funds_large_item(community_code: str) -> Decimal | None:
    """Transactions of 5,000 CNY or more are listed by themselves in disclosures."""
    return LARGE_ITEM


@hookimpl(trylast=True)
def cgov_funds_annual_allocation(community_code: str, year: int) -> dict[str, Decimal] | None:
    """No national standard amounts: each county sets its own (an empty answer)."""
    return {}
