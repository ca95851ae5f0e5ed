"""Simulation scenarios (仿真情景): a TOML file read into frozen attrs classes, validated.

A scenario names the city (the synthetic city of :mod:`community_governance.simulation.city`,
by generator, seed and scale), the policies (points scoring, the points supermarket, the grid
standard, staff, funds and their channels, the supply of activities, the "three supplies and one
property" handover), the behaviour parameters, the horizon, the step and the seed. Every key is
documented in ``scenarios/yima-2019.toml`` and in ``docs/simulation.md``.

Validation refuses unknown keys, missing keys, wrong types and values out of range with a
:class:`~community_governance.errors.ValidationError` whose ``path`` names the key, e.g.
``points.rate``. Nothing here touches numpy or the clock.
"""

from __future__ import annotations

import copy
import datetime as dt
import decimal
import hashlib
import json
import tomllib
import types
import typing
from collections.abc import Mapping
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import attrs

from community_governance.errors import ValidationError

__all__ = [
    "ActivityPolicy",
    "Behaviour",
    "CasesBehaviour",
    "CityConfig",
    "CouncilPolicy",
    "CultureBehaviour",
    "FundChannel",
    "FundsPolicy",
    "GridsPolicy",
    "HandoverPolicy",
    "IdentificationBehaviour",
    "OrgsPolicy",
    "ParticipationBehaviour",
    "PartyPolicy",
    "PointsPolicy",
    "PropertyPolicy",
    "RedemptionBehaviour",
    "RunConfig",
    "SatisfactionBehaviour",
    "Scenario",
    "StaffPolicy",
    "SupermarketPolicy",
    "VolunteeringBehaviour",
    "bundled_scenarios",
    "load_scenario",
    "parse_override",
    "parse_setting",
    "resolve_scenario_path",
]

T = TypeVar("T")
CASE_CATEGORIES = ("repair", "sanitation", "dispute", "safety", "property", "care", "other")
CHANNEL_USES = ("activities", "supermarket", "care", "office", "staff", "services")


def _f(default: Any = attrs.NOTHING, *, lo: float | None = None, hi: float | None = None,
       doc: str = "") -> Any:
    """A field with bounds kept as metadata (checked by :func:`_build`)."""
    return attrs.field(default=default, metadata={"lo": lo, "hi": hi, "doc": doc})


# --- the sections -----------------------------------------------------------------------------


@attrs.frozen
class RunConfig:
    """The run itself (仿真运行): name, start, horizon, step and seed.

    Attributes:
        name: a short name, used in output file names.
        title: a human title (Chinese welcome).
        start: the first day of the first step (a Monday keeps weeks aligned).
        steps: the horizon, in steps.
        step_days: days per step (7: a week).
        seed: the seed of the behaviour randomness (the city has its own seed).
    """

    name: str
    start: dt.date
    title: str = ""
    steps: int = _f(52, lo=1, hi=5200)
    step_days: int = _f(7, lo=1, hi=31)
    seed: int = _f(2019, lo=0)


@attrs.frozen
class CityConfig:
    """Which synthetic city (合成城市) to simulate.

    Attributes:
        generator: ``yima`` (the generator of ``cgov demo yima``) or ``prefecture`` (six
            counties of 三门峡市's size, :mod:`community_governance.simulation.cities`).
        seed: the generator's seed; the same seed gives the same city.
        scale: fraction of the full population to generate (1.0: 138,000 urban residents);
            above 1 the city is oversampled (``scale`` simulated households for every real
            one: less sampling error, the community offices and their queues at real size).
            For ``prefecture``: the share of the prefecture's communities (each of full size).
    """

    generator: str = "yima"
    seed: int = _f(2019, lo=0)
    scale: float = _f(1.0, lo=0.001, hi=10.0)


@attrs.frozen
class PointsPolicy:
    """Volunteer points (志愿服务积分) and their scoring standard (记分标准).

    Points are scored by the library's ``cgov_points_standard`` hook. When ``rate`` is given,
    the scenario acts as a county with its own standard: ``rate`` points an hour for every
    category (a plugin the engine registers last, so it wins); without it, the national table
    applies (``culture`` 8 an hour, ``general`` 8, ``environment`` 10...).

    Attributes:
        enabled: whether attendance and service earn points at all.
        rate: the county's points per hour of service or attendance; absent: the library's.
        service_category: the scoring category of volunteer service.
        activity_category: the scoring category of attending a culture activity.
        point_value_fen: what one point buys at the supermarket, in fen.
    """

    enabled: bool = True
    rate: int | None = _f(None, lo=0, hi=10_000)
    service_category: str = "general"
    activity_category: str = "culture"
    point_value_fen: int = _f(10, lo=0, hi=100_000)


@attrs.frozen
class SupermarketPolicy:
    """The points supermarket (积分超市) of each community.

    Attributes:
        enabled: whether communities run a points supermarket.
        budget_cny_per_community: goods bought per community per year (CNY).
    """

    enabled: bool = True
    budget_cny_per_community: Decimal = _f(Decimal(20000), lo=0)  # noqa: RUF009


@attrs.frozen
class GridsPolicy:
    """The grid standard (网格划分标准).

    Attributes:
        households_per_grid: households a grid should hold (Yima: 600).
    """

    households_per_grid: int = _f(600, lo=1, hi=100_000)


@attrs.frozen
class StaffPolicy:
    """Community staff (社区工作人员) and their case-handling capacity.

    Attributes:
        per_community: staff per community (千秋路: 6 to 8).
        per_10000_residents: if above 0, staff is instead this many per 10,000 residents
            (rounded, at least 1), overriding ``per_community``.
        cases_per_staff_day: cases one staff member closes per working day.
        grid_leader_cases_per_day: cases a grid leader (网格长) closes on the spot per working
            day with the case app.
        turnover: whether posts turn over (the workforce mechanism); ``false``: every post is
            always filled by a fully productive member (capacity linear in head count).
        permanent_per_community: posts on the public payroll (编制); the rest of
            ``per_community`` are temporary (临时人员). 15 community heads put on the payroll
            plus 20+ graduates recruited, over 15 communities: about 2.
        temporary_quit_per_year: yearly hazard of a temporary member leaving ("更换频繁";
            assumed).
        permanent_quit_per_year: yearly hazard of a permanent member leaving (assumed).
        hiring_lag_weeks: mean weeks a vacated post stays empty (assumed).
        learning_weeks: time constant of a new member's learning curve (assumed).
        new_hire_productivity: a new member's productivity as a share of an experienced
            one's (assumed).
        temporary_wage_cny_per_year: what a temporary post costs a year: a funding channel
            with ``use = "staff"`` opens ``floor(cny_per_year / wage)`` posts (assumed).
    """

    per_community: int = _f(7, lo=0, hi=1000)
    per_10000_residents: float = _f(0.0, lo=0.0, hi=1000.0)
    cases_per_staff_day: float = _f(2.2, lo=0.0, hi=1000.0)
    grid_leader_cases_per_day: float = _f(0.3, lo=0.0, hi=1000.0)
    turnover: bool = True
    permanent_per_community: int = _f(2, lo=0, hi=1000)
    temporary_quit_per_year: float = _f(0.49, lo=0.0, hi=52.0)
    permanent_quit_per_year: float = _f(0.05, lo=0.0, hi=52.0)
    hiring_lag_weeks: float = _f(6.5, lo=0.0, hi=520.0)
    learning_weeks: float = _f(12.0, lo=0.0, hi=520.0)
    new_hire_productivity: float = _f(0.4, lo=0.0, hi=1.0)
    temporary_wage_cny_per_year: Decimal = _f(Decimal(24000), lo=0)  # noqa: RUF009


@attrs.frozen
class ActivityPolicy:
    """Community culture and sports activities (文体活动) supplied.

    Attributes:
        per_community_per_year: activities each community plans per year.
        cost_cny: what one activity costs, from the culture fund.
        hours: hours one activity lasts (for participation hours).
        staff_days: staff working days one activity takes to organise, taken from case
            handling in the step it is held; a community holds no more activities in a step
            than its effective staff's days allow (0: activities cost no staff time).
    """

    per_community_per_year: float = _f(10.2, lo=0.0, hi=10_000.0)
    cost_cny: Decimal = _f(Decimal(800), lo=0)  # noqa: RUF009
    hours: float = _f(2.0, lo=0.0, hi=24.0)
    staff_days: float = _f(1.9, lo=0.0, hi=1000.0)


@attrs.frozen
class FundChannel:
    """A further funding channel (经费渠道): donations, investment, paid services.

    Attributes:
        name: the channel's name.
        cny_per_year: money in per community per year.
        use: what it buys: ``activities`` (the culture fund), ``supermarket`` (goods),
            ``care``, ``office``, ``staff`` (temporary posts at
            ``staff.temporary_wage_cny_per_year`` each, paid from the office account) or
            ``services`` (purchased services tendered to social organizations, paid from the
            general account).
        start: the first day money comes in (``None``: from the start).
    """

    name: str
    cny_per_year: Decimal = _f(Decimal(0), lo=0)  # noqa: RUF009
    use: str = "activities"
    start: dt.date | None = None


@attrs.frozen
class FundsPolicy:
    """City funds of each community (社区经费).

    Attributes:
        office_cny_per_year: office funds (办公经费; 74,000 in 2019).
        care_cny_per_year: care fund for people in difficulty (困难群众关爱基金).
        culture_cny_per_year: culture fund (文化活动基金).
        partner_cny_per_year: support from partner units (帮扶单位; at least 50,000).
        care_visit_cny: cost of one festival visit to a household in difficulty.
        channels: further channels.
    """

    office_cny_per_year: Decimal = _f(Decimal(74000), lo=0)  # noqa: RUF009
    care_cny_per_year: Decimal = _f(Decimal(30000), lo=0)  # noqa: RUF009
    culture_cny_per_year: Decimal = _f(Decimal(12000), lo=0)  # noqa: RUF009
    partner_cny_per_year: Decimal = _f(Decimal(50000), lo=0)  # noqa: RUF009
    care_visit_cny: Decimal = _f(Decimal(100), lo=0)  # noqa: RUF009
    channels: tuple[FundChannel, ...] = ()


@attrs.frozen
class HandoverPolicy:
    """The "three supplies and one property" handover (三供一业移交).

    Attributes:
        enabled: whether the handover happens in this scenario.
        date: the day the compounds are handed over (Yima: before June 2017).
        compounds: compounds handed over (31).
        households: households in them (20,000+).
        subsidy_loss_cny_per_household_year: subsidies each household loses per year.
    """

    enabled: bool = True
    date: dt.date = _f(dt.date(2017, 6, 1))  # noqa: RUF009
    compounds: int = _f(31, lo=0, hi=100_000)
    households: int = _f(20_000, lo=0, hi=10_000_000)
    subsidy_loss_cny_per_household_year: Decimal = _f(Decimal(600), lo=0)  # noqa: RUF009


@attrs.frozen
class CouncilPolicy:
    """Consultative councils (协商议事会) and disclosure of community affairs (社区事务公开).

    A council meeting gives the community a "voice" (residents' sense that their matters are
    heard) and supervises the property companies of its compounds; a disclosure informs a
    share of the residents not yet informed. Both decay and both raise the target of
    identification (认同感), which raises participation.

    Attributes:
        meetings_per_year: council meetings a year (a lever; assumed 2 in 2019, the study
            asks to "完善协商议事会").
        seats: residents' representatives on a council (party members preferred).
        disclosures_per_year: disclosures a year (a lever; assumed quarterly).
        disclosure_reach: share of the uninformed residents one disclosure reaches.
        informed_decay_per_year: yearly decay rate of being informed.
        voice_per_meeting: rise of the community's voice (0..1) per meeting, towards 1.
        voice_decay_per_year: yearly decay rate of the voice.
        identification_informed: weight of being informed in the identification target.
        identification_voice: weight of the community's voice in the identification target.
        identification_seat: weight of holding a council seat in the identification target.
        supervision_gain: rise of a property company's quality per meeting (监督协调物业).
    """

    meetings_per_year: float = _f(2.0, lo=0.0, hi=365.0)
    seats: int = _f(15, lo=0, hi=1000)
    disclosures_per_year: float = _f(4.0, lo=0.0, hi=365.0)
    disclosure_reach: float = _f(0.15, lo=0.0, hi=1.0)
    informed_decay_per_year: float = _f(1.0, lo=0.0, hi=52.0)
    voice_per_meeting: float = _f(0.15, lo=0.0, hi=1.0)
    voice_decay_per_year: float = _f(1.0, lo=0.0, hi=52.0)
    identification_informed: float = _f(0.15, lo=0.0, hi=1.0)
    identification_voice: float = _f(0.15, lo=0.0, hi=1.0)
    identification_seat: float = _f(0.3, lo=0.0, hi=1.0)
    supervision_gain: float = _f(0.02, lo=0.0, hi=1.0)


@attrs.frozen
class PropertyPolicy:
    """Property companies (物业服务企业) of the handed-over compounds (三供一业小区).

    Attributes:
        initial_managed_share: share of the handed-over compounds with a property company
            at the start ("大量的三无和不规范小区"; assumed).
        entry_per_year: yearly hazard of an unmanaged compound getting a company (market
            actors, recommendation 4; assumed).
        exit_per_year: yearly hazard of a company leaving, times ``1 - quality``.
        quality_mean: mean quality (0..1) of a company (Beta, concentration 6).
        case_relief: share of the handover's extra cases a company of quality 1 removes.
        unmanaged_satisfaction: satisfaction-target penalty of an unmanaged compound.
    """

    initial_managed_share: float = _f(0.35, lo=0.0, hi=1.0)
    entry_per_year: float = _f(0.1, lo=0.0, hi=52.0)
    exit_per_year: float = _f(0.15, lo=0.0, hi=52.0)
    quality_mean: float = _f(0.5, lo=0.01, hi=0.99)
    case_relief: float = _f(0.8, lo=0.0, hi=1.0)
    unmanaged_satisfaction: float = _f(0.1, lo=0.0, hi=1.0)


@attrs.frozen
class OrgsPolicy:
    """Professional social organizations (社会组织) as agents: incubated, tendered, delivering.

    Organizations go through the library's lifecycle (``domain.orgs.TRANSITIONS``), are
    graded by the place's scheme (``cgov_orgs_grade_scheme``) and bid in the place's tiers
    (``cgov_orgs_bid_tier``); a winner delivers purchased case handling at its quality.

    Attributes:
        initial: active organizations city-wide at the start, at full scale ("社会组织发育不
            足"; assumed).
        proposals_per_year: new organizations proposed per community a year (assumed).
        incubator: whether a professional incubator (孵化机构) takes them in (a lever).
        incubator_proposals_multiplier: proposals a year are this many times more with one.
        incubation_weeks: mean weeks from incubation to admission review.
        incubation_quality_gain: quality an incubated organization gains (专业化的基因).
        quality_mean: mean quality (0..1) of a new organization (Beta, concentration 6).
        fail_per_year: yearly hazard of an active organization folding, times
            ``1 - quality``.
        purchase_cny_per_year: purchased services per community a year (政府购买服务; a lever,
            paid from the general account; none in 2019).
        tendering: award by tender (招投标: the best bid tier, then the best evaluation score
            wins) instead of direct award to any active organization.
        cost_per_case_cny: what a purchased case costs.
    """

    initial: int = _f(2, lo=0, hi=100_000)
    proposals_per_year: float = _f(0.1, lo=0.0, hi=52.0)
    incubator: bool = False
    incubator_proposals_multiplier: float = _f(3.0, lo=0.0, hi=100.0)
    incubation_weeks: float = _f(26.0, lo=1.0, hi=520.0)
    incubation_quality_gain: float = _f(0.2, lo=0.0, hi=1.0)
    quality_mean: float = _f(0.45, lo=0.01, hi=0.99)
    fail_per_year: float = _f(0.3, lo=0.0, hi=52.0)
    purchase_cny_per_year: Decimal = _f(Decimal(0), lo=0)  # noqa: RUF009
    tendering: bool = True
    cost_per_case_cny: Decimal = _f(Decimal(60), lo=0.01)  # noqa: RUF009


@attrs.frozen
class PartyPolicy:
    """Party members' activity (党员作用): showing their identity, public-interest activities.

    Attributes:
        member_share: share of adults (18+) who are party members (assumed).
        attend_boost: added to a member's attendance logit ("党员参加公益活动").
        volunteer_multiplier: a member's hazard of becoming a volunteer is this many times
            another's.
        evaluation: residents evaluate party members (群众评议党员, in the study).
        evaluation_boost: added to a member's attendance logit when they are evaluated.
        council_preference: a member's weight for a council seat against another resident's.
    """

    member_share: float = _f(0.08, lo=0.0, hi=1.0)
    attend_boost: float = _f(0.5, lo=-10.0, hi=10.0)
    volunteer_multiplier: float = _f(2.0, lo=0.0, hi=100.0)
    evaluation: bool = True
    evaluation_boost: float = _f(0.3, lo=-10.0, hi=10.0)
    council_preference: float = _f(3.0, lo=0.0, hi=1000.0)


@attrs.frozen
class ParticipationBehaviour:
    """Resident participation (居民参与) in activities: a logistic propensity per activity.

    Attributes:
        base_logit: intercept of the per-activity attendance logit.
        identification: weight of identification with the community (认同感), 0..1.
        elderly: added for residents aged 60 or more.
        child: added for residents under 14.
        culture_member: added for members of a culture group.
        points_incentive: weight of the points incentive (CNY of goods per hour, saturating).
        neighbours: weight of the share of the resident's grid that took part last step.
        festival_boost: added in weeks with a lunar festival (春节, 元宵, 端午, 中秋, 重阳).
        winter: added in January, February and December.
    """

    base_logit: float = _f(-6.5)
    identification: float = _f(2.0)
    elderly: float = _f(0.8)
    child: float = _f(0.3)
    culture_member: float = _f(2.5)
    points_incentive: float = _f(0.3)
    neighbours: float = _f(3.0)
    festival_boost: float = _f(0.5)
    winter: float = _f(-0.3)


@attrs.frozen
class CultureBehaviour:
    """Culture and sports group (文体组织) membership.

    Attributes:
        initial_share: share of residents who are members at the start (4,756 of 138,000).
        elderly_weight: relative chance of an elderly resident being a member.
        join_per_year: yearly hazard of a non-member joining (times the age weight).
        leave_per_year: yearly hazard of a member leaving.
        join_per_attendance: chance that attending one activity makes a non-member join a
            group ("发动靠活动，活动靠文化").
        members_per_group: members of a group, for counting groups (4,756 / 177).
    """

    initial_share: float = _f(0.03446, lo=0.0, hi=1.0)
    elderly_weight: float = _f(3.0, lo=0.0)
    join_per_year: float = _f(0.0033, lo=0.0)
    leave_per_year: float = _f(0.16, lo=0.0)
    join_per_attendance: float = _f(0.06, lo=0.0, hi=1.0)
    members_per_group: float = _f(26.9, lo=1.0)


@attrs.frozen
class VolunteeringBehaviour:
    """Volunteers (志愿者): who becomes one, who quits, how often they serve.

    Attributes:
        initial_share: share of residents who are volunteers at the start (3,838 of 138,000).
        initial_from_culture: share of the initial volunteers who are culture-group members.
        from_culture_per_year: yearly hazard of a culture-group member becoming a volunteer
            ("很多文体组织成员最后都成了社区志愿者").
        from_others_per_year: yearly hazard of any other resident aged 14+ becoming one.
        quit_per_year: yearly hazard of a volunteer quitting.
        points_incentive: weight of the points incentive on recruitment and service.
        serve_logit: intercept of the weekly service logit of a volunteer.
        serve_identification: weight of identification on serving.
        hours_per_service: hours of one service.
    """

    initial_share: float = _f(0.02781, lo=0.0, hi=1.0)
    initial_from_culture: float = _f(0.5, lo=0.0, hi=1.0)
    from_culture_per_year: float = _f(0.14, lo=0.0)
    from_others_per_year: float = _f(0.0030, lo=0.0)
    quit_per_year: float = _f(0.2, lo=0.0)
    points_incentive: float = _f(0.3)
    serve_logit: float = _f(-1.8)
    serve_identification: float = _f(1.5)
    hours_per_service: float = _f(2.0, lo=0.0, hi=24.0)


@attrs.frozen
class RedemptionBehaviour:
    """Redeeming points (积分兑换) at the supermarket.

    Attributes:
        weekly_probability: chance a holder with enough points redeems in a week.
        min_points: fewest points worth a visit.
        share_of_balance: share of the balance spent in one visit.
    """

    weekly_probability: float = _f(0.15, lo=0.0, hi=1.0)
    min_points: int = _f(50, lo=0)
    share_of_balance: float = _f(0.8, lo=0.0, hi=1.0)


@attrs.frozen
class CasesBehaviour:
    """Cases (事项) raised by households, by the library's case categories.

    Deadlines are not set here: they come from the library's ``cgov_case_deadline`` hook (at
    the community level), counted in working days of the official calendar.

    Attributes:
        rates_per_household_year: expected cases per household per year, by category code
            (``repair``, ``sanitation``, ``dispute``, ``safety``, ``property``, ``care``,
            ``other``).
        handover_multiplier: rate multiplier, by category, for households of handed-over
            compounds after the handover (no property management any more).
        elderly_multiplier: rate multiplier of ``care`` cases for households with a member
            aged 70 or more.
    """

    rates_per_household_year: Mapping[str, float] = _f(attrs.Factory(lambda: {
        "repair": 0.25, "sanitation": 0.2, "dispute": 0.06, "safety": 0.04,
        "property": 0.08, "care": 0.1, "other": 0.1}))
    handover_multiplier: Mapping[str, float] = _f(attrs.Factory(lambda: {
        "repair": 2.0, "sanitation": 1.5, "dispute": 1.3, "safety": 1.2,
        "property": 4.0, "care": 1.0, "other": 1.0}))
    elderly_multiplier: float = _f(1.5, lo=0.0)


@attrs.frozen
class SatisfactionBehaviour:
    """Household satisfaction (满意度) responding to service.

    Attributes:
        initial: satisfaction at the start, 0..1.
        adjust_per_step: share of the gap to the target closed each step.
        baseline: the target with on-time service, no loss and no activity.
        on_time: weight of the community's on-time share of closed cases.
        own_case_late: penalty in a step where the household's own case ran late.
        subsidy_loss_per_1000_cny: penalty per 1,000 CNY of yearly subsidies lost.
        activities: bonus when the community held an activity in the step.
    """

    initial: float = _f(0.7, lo=0.0, hi=1.0)
    adjust_per_step: float = _f(0.05, lo=0.0, hi=1.0)
    baseline: float = _f(0.55, lo=0.0, hi=1.0)
    on_time: float = _f(0.2)
    own_case_late: float = _f(0.3)
    subsidy_loss_per_1000_cny: float = _f(0.15)
    activities: float = _f(0.05)


@attrs.frozen
class IdentificationBehaviour:
    """Residents' identification with their community (社区认同感).

    Attributes:
        initial_mean: mean at the start, 0..1.
        initial_sd: spread at the start.
        coal_group_offset: added at the start in communities formerly run by the coal group.
        adjust_per_step: share of the gap to the target closed each step.
        satisfaction: weight of the household's satisfaction in the target.
        participation: weight of having taken part in the step in the target.
    """

    initial_mean: float = _f(0.35, lo=0.0, hi=1.0)
    initial_sd: float = _f(0.15, lo=0.0, hi=1.0)
    coal_group_offset: float = _f(-0.05, lo=-1.0, hi=1.0)
    adjust_per_step: float = _f(0.02, lo=0.0, hi=1.0)
    satisfaction: float = _f(0.5)
    participation: float = _f(0.5)


@attrs.frozen
class Behaviour:
    """Every behaviour model's parameters (行为模型参数)."""

    participation: ParticipationBehaviour = ParticipationBehaviour()
    culture: CultureBehaviour = CultureBehaviour()
    volunteering: VolunteeringBehaviour = VolunteeringBehaviour()
    redemption: RedemptionBehaviour = RedemptionBehaviour()
    cases: CasesBehaviour = CasesBehaviour()
    satisfaction: SatisfactionBehaviour = SatisfactionBehaviour()
    identification: IdentificationBehaviour = IdentificationBehaviour()


@attrs.frozen
class Scenario:
    """A simulation scenario (仿真情景), as read from a TOML file.

    Attributes:
        run: the run's name, start, horizon, step and seed.
        city: the synthetic city.
        points, supermarket, grids, staff, activities, funds, handover: the policies.
        councils, property, orgs, party: the mechanisms of the study's problems and
            recommendations (councils and disclosure, property companies, social
            organizations, party members), each with its levers and coefficients.
        behaviour: the behaviour parameters.
        raw: the validated document as a plain dict (for overrides and the run summary).
        source: where it was read from.
    """

    run: RunConfig
    city: CityConfig = CityConfig()
    points: PointsPolicy = PointsPolicy()
    supermarket: SupermarketPolicy = SupermarketPolicy()
    grids: GridsPolicy = GridsPolicy()
    staff: StaffPolicy = StaffPolicy()
    activities: ActivityPolicy = ActivityPolicy()
    funds: FundsPolicy = FundsPolicy()
    handover: HandoverPolicy = HandoverPolicy()
    councils: CouncilPolicy = CouncilPolicy()
    property: PropertyPolicy = PropertyPolicy()
    orgs: OrgsPolicy = OrgsPolicy()
    party: PartyPolicy = PartyPolicy()
    behaviour: Behaviour = Behaviour()
    raw: Mapping[str, Any] = attrs.field(factory=dict, eq=False, repr=False)
    source: str = attrs.field(default="", eq=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "") -> Scenario:
        """Validate a parsed TOML document into a scenario.

        Raises:
            ValidationError: naming the key (``path``) that is unknown, missing or wrong.
        """
        where = f" in {source}" if source else ""
        if not isinstance(data, Mapping):
            raise ValidationError(f"a scenario must be a table{where}", path="$")
        built = _build(cls, data, "", where, skip=("raw", "source"))
        return attrs.evolve(built, raw=copy.deepcopy(dict(data)), source=source)

    @classmethod
    def from_toml(cls, text: str, *, source: str = "") -> Scenario:
        """Parse and validate TOML text."""
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ValidationError(
                f"the scenario{' ' + source if source else ''} is not valid TOML: {exc}",
                path="$") from exc
        return cls.from_dict(data, source=source)

    def with_overrides(self, overrides: Mapping[str, Any]) -> Scenario:
        """A copy with dotted keys replaced, e.g. ``{"points.rate": 5}``, validated again."""
        data = copy.deepcopy(dict(self.raw))
        for key, value in overrides.items():
            parts = key.split(".")
            node: dict[str, Any] = data
            for i, part in enumerate(parts[:-1]):
                nxt = node.setdefault(part, {})
                if not isinstance(nxt, dict):
                    raise ValidationError(
                        f"cannot set {key}: {'.'.join(parts[: i + 1])} is not a table", path=key)
                node = nxt
            node[parts[-1]] = value
        return Scenario.from_dict(data, source=self.source)

    def digest(self) -> str:
        """A short hash of the validated document (same document, same digest)."""
        text = json.dumps(self.raw, sort_keys=True, default=str, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


# --- validation -------------------------------------------------------------------------------


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _build(cls: type[T], table: Mapping[str, Any], path: str, where: str,
           skip: tuple[str, ...] = ()) -> T:
    if not isinstance(table, Mapping):
        raise ValidationError(f"{path or 'the scenario'} must be a table{where}", path=path or "$")
    fields = {f.name: f for f in attrs.fields(cls) if f.name not in skip}  # type: ignore[arg-type]
    hints = typing.get_type_hints(cls)
    unknown = sorted(set(table) - set(fields))
    if unknown:
        raise ValidationError(
            f"unknown key {_join(path, unknown[0])!r}{where}; known keys here: "
            f"{', '.join(sorted(fields))}", path=_join(path, unknown[0]))
    kwargs: dict[str, Any] = {}
    for name, field in fields.items():
        key = _join(path, name)
        if name not in table:
            if field.default is attrs.NOTHING:
                raise ValidationError(f"missing key {key!r}{where}; add it", path=key)
            continue
        value = _convert(hints[name], table[name], key, where, cls, name)
        lo, hi = field.metadata.get("lo"), field.metadata.get("hi")
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            if lo is not None and value < lo:
                raise ValidationError(f"{key} must be at least {lo}, got {value}{where}", path=key)
            if hi is not None and value > hi:
                raise ValidationError(f"{key} must be at most {hi}, got {value}{where}", path=key)
        kwargs[name] = value
    _check_semantics(cls, kwargs, path, where)
    return cls(**kwargs)


def _convert(hint: Any, value: Any, key: str, where: str, owner: type, name: str) -> Any:
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return _convert(args[0], value, key, where, owner, name)
    if hint is bool:
        if not isinstance(value, bool):
            raise ValidationError(f"{key} must be true or false, got {value!r}{where}", path=key)
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError(f"{key} must be a whole number, got {value!r}{where}", path=key)
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValidationError(f"{key} must be a number, got {value!r}{where}", path=key)
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ValidationError(f"{key} must be a string, got {value!r}{where}", path=key)
        return value
    if hint is Decimal:
        return _money(value, key, where)
    if hint is dt.date:
        if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
            raise ValidationError(
                f"{key} must be a bare TOML date like 2019-01-07, got {value!r}{where}", path=key)
        return value
    if origin is tuple:
        inner = typing.get_args(hint)[0]
        if not isinstance(value, list):
            raise ValidationError(f"{key} must be an array of tables{where}", path=key)
        return tuple(_build(inner, v, f"{key}[{i}]", where) for i, v in enumerate(value))
    if origin in (Mapping, dict) or hint is Mapping:
        default = attrs.fields_dict(owner)[name].default
        factory = getattr(default, "factory", None)
        known: dict[str, float] = dict(factory()) if callable(factory) else {}
        if not isinstance(value, Mapping):
            raise ValidationError(f"{key} must be a table of numbers{where}", path=key)
        out = dict(known)
        for k, v in value.items():
            if k not in known:
                raise ValidationError(
                    f"unknown key {key}.{k}{where}; known: {', '.join(known)}", path=f"{key}.{k}")
            if isinstance(v, bool) or not isinstance(v, int | float) or v < 0:
                raise ValidationError(
                    f"{key}.{k} must be a number 0 or more, got {v!r}{where}", path=f"{key}.{k}")
            out[k] = float(v)
        return out
    if attrs.has(hint):
        return _build(hint, value, key, where)
    raise TypeError(f"no converter for {hint!r}")  # pragma: no cover - a programming error


def _money(value: Any, key: str, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValidationError(f"{key} must be an amount in CNY, got {value!r}{where}", path=key)
    try:
        amount = Decimal(str(value))
    except decimal.InvalidOperation:
        raise ValidationError(
            f"{key} must be an amount in CNY like 74000 or \"74000.50\", got {value!r}{where}",
            path=key) from None
    if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
        raise ValidationError(f"{key} must be CNY to the fen (2 decimals), got {value!r}{where}",
                              path=key)
    return amount.quantize(Decimal("0.01"))


def _check_semantics(cls: type, kwargs: dict[str, Any], path: str, where: str) -> None:
    if cls is CityConfig and kwargs.get("generator", "yima") not in ("yima", "prefecture"):
        key = _join(path, "generator")
        raise ValidationError(
            f"{key} must be \"yima\" or \"prefecture\" (six counties){where}", path=key)
    if cls is CityConfig and kwargs.get("generator") == "prefecture" and kwargs.get(
            "scale", 1.0) > 1:
        key = _join(path, "scale")
        raise ValidationError(f"{key} of a prefecture is a share of its communities, at most "
                              f"1{where}", path=key)
    if cls is FundChannel and kwargs.get("use", "activities") not in CHANNEL_USES:
        key = _join(path, "use")
        raise ValidationError(
            f"{key} must be one of {', '.join(CHANNEL_USES)}, got {kwargs['use']!r}{where}",
            path=key)


# --- files ------------------------------------------------------------------------------------


def bundled_scenarios() -> list[str]:
    """Names of the scenarios shipped with the package (e.g. ``yima-2019``)."""
    root = resources.files("community_governance.simulation") / "scenarios"
    return sorted(p.name[:-5] for p in root.iterdir() if p.name.endswith(".toml"))


def resolve_scenario_path(name_or_path: str | Path) -> Path:
    """A file path as given, or a bare name (``yima-2019``) of a bundled scenario.

    Raises:
        ValidationError: neither a file nor a bundled name.
    """
    p = Path(name_or_path)
    if p.is_file():
        return p
    root = resources.files("community_governance.simulation") / "scenarios"
    candidate = root / f"{name_or_path}.toml"
    if candidate.is_file():
        return Path(str(candidate))
    raise ValidationError(
        f"scenario {str(name_or_path)!r} is neither a file nor a bundled scenario "
        f"({', '.join(bundled_scenarios())})", path="scenario")


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Read and validate a scenario file, or a bundled scenario by name.

    Example::

        sc = load_scenario("yima-2019")
        sc.points.rate          # 10
    """
    path = resolve_scenario_path(name_or_path)
    return Scenario.from_toml(path.read_text(encoding="utf-8"), source=str(path))


def parse_setting(text: str) -> tuple[str, Any]:
    """``funds.channels=[{name = "x", cny_per_year = 5000}]`` → ``(key, value)``: one TOML
    value, commas included (a bare word is taken as a string).

    Raises:
        ValidationError: no ``=`` or no value.
    """
    key, sep, value = text.partition("=")
    if not sep or not key.strip() or not value.strip():
        raise ValidationError(
            f"a setting is KEY=VALUE like city.scale=0.1, got {text!r}", path="set")
    try:
        return key.strip(), tomllib.loads(f"v = {value.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        return key.strip(), value.strip()


def parse_override(text: str) -> tuple[str, list[Any]]:
    """``points.rate=5,10,20`` → ``("points.rate", [5, 10, 20])`` (values read as TOML).

    Values are split at the commas outside brackets, braces and quotes, so a value may be
    a TOML array or inline table: ``funds.channels=[],[{name = "x", cny_per_year = 5000}]``
    gives two values, no channel and one channel; ``x=[1, 2],[3]`` gives ``[[1, 2], [3]]``.

    Raises:
        ValidationError: no ``=``, no value, or unbalanced brackets.
    """
    key, sep, values = text.partition("=")
    if not sep or not key.strip() or not values.strip():
        raise ValidationError(
            f"a parameter is KEY=V1,V2,... like points.rate=5,10,20, got {text!r}", path="param")
    out: list[Any] = []
    for raw in _split_values(values, key.strip()):
        raw = raw.strip()
        try:
            out.append(tomllib.loads(f"v = {raw}")["v"])
        except tomllib.TOMLDecodeError:
            if raw[:1] in "[{":
                raise ValidationError(
                    f"{key.strip()}: {raw!r} is not a TOML array or inline table",
                    path=key.strip()) from None
            out.append(raw)
    return key.strip(), out


def _split_values(text: str, key: str) -> list[str]:
    """Split at the commas outside brackets, braces and quotes."""
    parts: list[str] = []
    depth, quote, start = 0, "", 0
    for i, ch in enumerate(text):
        if quote:
            if ch == quote and text[i - 1] != "\\":
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
            if depth < 0:
                break
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    if depth != 0 or quote:
        raise ValidationError(f"{key}: unbalanced brackets or quotes in {text!r}", path=key)
    parts.append(text[start:])
    return parts
