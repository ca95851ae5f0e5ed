"""Purchase-of-services hooks (政府购买服务): the procedures with their time limits and the
scoring criteria of a tender.

Each is told the place it decides for: the county of the purchasing community
(``county_code``) for a procedure, the purchasing community (``community_code``) and the
service category for the criteria.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from community_governance.markers import hookspec

if TYPE_CHECKING:
    from community_governance.domain.tenders import Criterion, ProcedureRules


@hookspec(firstresult=True)
def cgov_tenders_procedure(county_code: str, procedure: str) -> ProcedureRules | None:
    """Give the rules of a procurement procedure (采购方式) in a county.

    Called by ``gov.tenders.publish`` for the procedure the notice names: the working days
    from the notice to the bid deadline (等标期) counted on the county's calendar, the working
    days of the standstill period for objections (质疑期), the least number of valid bids and
    of panel members. The built-in plugin gives 公开招标 15 working days, at least 3 bids and a
    panel of 5; 竞争性磋商 8, 2 and 3; 单一来源 5 working days of publicity, exactly one bid
    and 3; seven working days for objections each.

    Args:
        county_code: the county of the purchasing community (6 digits).
        procedure: a ``Procedure`` value: ``"open"``, ``"competitive_consultation"`` or
            ``"single_source"``.

    Returns:
        A :class:`~community_governance.domain.tenders.ProcedureRules` for that procedure, or
        ``None``.

    Stops at first non-None result.

    Example::

        @hookimpl
        def cgov_tenders_procedure(county_code, procedure):
            if county_code == "411202" and procedure == "open":
                return ProcedureRules("open", bid_days=20, standstill_days=7, min_bidders=3)
            return None
    """


@hookspec(firstresult=True)
def cgov_tenders_scoring_criteria(community_code: str, category: str) -> list[Criterion] | None:
    """Give the scoring criteria and their weights (评分因素及权重) of a tender.

    Called by ``gov.tenders.publish``; the criteria are fixed in the notice when it is
    published. Weights add up to 100; at most one criterion is the price, scored by the
    lowest-price formula (lowest valid price / this price × weight); the panel marks the others
    from 0 to their weight. The built-in plugin gives 价格 30, 服务方案 30, 类似项目经验 20 and
    人员配备 20.

    Args:
        community_code: the purchasing community.
        category: the project's service category, e.g. ``"elderly_day_care"``.

    Returns:
        A list of :class:`~community_governance.domain.tenders.Criterion` adding up to 100, or
        ``None``.

    Stops at first non-None result.

    Example::

        @hookimpl
        def cgov_tenders_scoring_criteria(community_code, category):
            if category == "elderly_day_care":
                return [Criterion("price", "价格", 20, "price"),
                        Criterion("service_plan", "服务方案", 50),
                        Criterion("team", "护理人员资质", 30)]
            return None
    """
