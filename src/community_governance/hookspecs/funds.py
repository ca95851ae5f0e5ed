"""Funds hooks: the chart of accounts, the approvals a disbursement needs, over-budget spending
and what a disclosure lists as a large item."""

from __future__ import annotations

from typing import TYPE_CHECKING

from community_governance.markers import hookspec

if TYPE_CHECKING:
    from decimal import Decimal

    from community_governance.domain.funds import Account


@hookspec
def cgov_funds_accounts(community_code: str) -> list[Account] | None:
    """Give accounts of a community's chart of accounts (会计科目表).

    Called by ``gov.funds`` whenever it needs the chart of a community (to check a
    transaction's accounts, to name accounts in reports and disclosures).

    Args:
        community_code: the community's 12-digit code.

    Returns:
        A list of :class:`~community_governance.domain.funds.Account`, or ``None`` to add none.

    All results are combined: the chart is the union of every plugin's accounts; one code
    defined twice, differently, is an error.

    Example::

        @hookimpl
        def cgov_funds_accounts(community_code):
            return [Account("4701", "养老服务补贴", "Elderly care subsidy", "income", "care")]
    """


@hookspec(firstresult=True)
def cgov_funds_required_approvals(
    community_code: str, account: str, amount: Decimal
) -> list[str] | None:
    """Name the posts that must each approve a disbursement (支出审批).

    Called by ``gov.funds.request`` when a disbursement is requested.

    Args:
        community_code: the community spending.
        account: the expense account charged.
        amount: the amount in CNY (a ``Decimal``).

    Returns:
        A list of post kinds (``PostKind`` values such as ``"director"`` and
        ``"subdistrict_staff"``), each to be filled by a different person; an empty list
        means no approval is needed; ``None`` to leave the decision to the next plugin.

    Stops at first non-None result.

    Example::

        @hookimpl
        def cgov_funds_required_approvals(community_code, account, amount):
            if amount > Decimal("2000"):
                return ["secretary", "director", "subdistrict_staff"]
            return None
    """


@hookspec(firstresult=True)
def cgov_funds_over_budget(
    community_code: str, account: str, year: int, amount: Decimal, budget: Decimal,
    committed: Decimal,
) -> list[str] | bool | None:
    """Decide whether a disbursement beyond its account's budget (超预算支出) may go ahead.

    Called by ``gov.funds.request`` when the request, with what the account has spent and
    committed already, exceeds the budget of the year.

    Args:
        community_code: the community spending.
        account: the expense account charged.
        year: the budget year.
        amount: the amount requested (CNY).
        budget: the account's budget for the year (CNY).
        committed: spent plus requested and approved but unpaid (CNY), before this request.

    Returns:
        ``False`` to refuse, or a non-empty list of post kinds whose approval (in addition to
        the ordinary ones) allows the overspending; ``None`` to leave it to the next plugin.

    Stops at first non-None result.

    Example::

        @hookimpl
        def cgov_funds_over_budget(community_code, account, year, amount, budget, committed):
            if account == "5102":  # care fund: emergencies may exceed the budget
                return ["secretary", "subdistrict_staff"]
            return None
    """


@hookspec(firstresult=True)
def cgov_funds_large_item(community_code: str) -> Decimal | None:
    """Give the amount from which a disclosure lists a transaction by itself (大额收支).

    Called by ``gov.funds.disclosure`` once per report.

    Args:
        community_code: the community whose report is built.

    Returns:
        The threshold in CNY (a ``Decimal``, at least one fen), or ``None``.

    Stops at first non-None result.

    Example::

        @hookimpl
        def cgov_funds_large_item(community_code):
            return Decimal("2000")
    """


@hookspec(firstresult=True)
def cgov_funds_annual_allocation(community_code: str, year: int) -> dict[str, Decimal] | None:
    """Give the funds a community receives from the city and the sub-district in a year.

    Called by ``gov.funds.annual_allocation`` (and by the demo and the simulation, which post
    or model these allocations): the county's standard amounts per income account, e.g. office
    funds (办公经费), the care fund (困难群众关爱基金) and the culture fund (文化活动基金).

    Args:
        community_code: the community.
        year: the budget year.

    Returns:
        Income account code → amount in CNY (``Decimal``, at least one fen each); an empty
        dict when the county sets no standard amounts; ``None`` to let the next plugin answer.

    Stops at first non-None result.

    Example::

        @hookimpl
        def cgov_funds_annual_allocation(community_code, year):
            if year >= 2019:
                return {"4101": Decimal("74000"), "4102": Decimal("20000")}
            return {"4101": Decimal("20000")}
    """
