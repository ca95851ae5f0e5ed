"""Yima City (义马市, 411281) rules for community-governance, as a county plugin.

What the 2019 study of the Yima Municipal Party School gives is encoded as the study gives it:
one grid per 600 households (每600户居民划分1个网格), office funds of 74,000 CNY per community
and year (raised from 20,000), a care fund (困难群众关爱基金) and a culture fund (文化活动基金),
a points scoring standard (记分标准) for the points supermarkets, case categories with the
coal-town matters of the "three supplies and one property" handover (三供一业), and the kinds of
partner unit (分包局委, 文明单位, 驻区单位). Where the study gives no number, the value is marked
*assumed* beside it.
"""

from cgov_yima.plugin import CARE_FUND, CULTURE_FUND, OFFICE_FUNDS, PARTNER_UNITS, YIMA

__all__ = ["CARE_FUND", "CULTURE_FUND", "OFFICE_FUNDS", "PARTNER_UNITS", "YIMA"]
