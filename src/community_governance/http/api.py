"""Authenticated routes (``/api/v1``): the façade's everyday operations for a county back end
or a WeChat mini-program.

Every route needs a bearer token (``Authorization: Bearer cgov_...``) carrying the route's
scope; the service then applies the actor's own rights, as it does for every caller. Bodies
are JSON objects read with the library's converter into the small attrs commands below (each
field of a command is an argument of the service method it calls; unknown fields are refused).
Ledger writes take the ``Idempotency-Key`` header as their idempotency key: a retry with the
same key and body answers the first result, the same key with another body is a 409 problem.
"""

from __future__ import annotations

import datetime as dt
import urllib.parse
from typing import Annotated, Any

import attrs
from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody, QueryParameter

from community_governance.domain.access import ActorKind
from community_governance.domain.cases import CaseStatus, Channel
from community_governance.domain.tokens import check_scopes
from community_governance.errors import TokenInvalid, ValidationError
from community_governance.http.common import (
    authenticate,
    blocking,
    body,
    county_of,
    gov_of,
    idempotency_key,
    idempotent,
    json_response,
    require,
    settings_of,
)
from community_governance.services.registry import NewResident
from community_governance.services.tokens import expect_identity

__all__ = ["ROUTES", "Attendance", "CaseReport", "CaseStep", "ExternalSignIn", "NewBooking",
           "PointsChange", "Rating", "Redemption"]

API = "/api/v1"
_Body = JSONBody[dict[str, Any]]
#: The optional Idempotency-Key header of writes that are not ledger entries.
_Key = Annotated[str | None, HeaderParameter(
    name="Idempotency-Key", required=False, max_length=200,
    description="a fresh value (e.g. a UUID) per intended write; a retry sends the same and "
                "gets the first answer (kept 24 hours); the same key with another body is 409")]


# ----------------------------------------------------------------------------- commands


@attrs.frozen
class ExternalSignIn:
    """A signed-in external identity (外部身份登录), e.g. a WeChat openid.

    Attributes:
        provider: ``wechat_openid`` or ``wechat_unionid`` (or a name the county plugin knows).
        subject: the identity, as the provider gave it to the back end.
        scopes: the scopes of the token to issue (within the calling token's).
        jurisdiction_id: the county, when the server hosts several.
    """

    provider: str
    subject: str
    scopes: list[str]
    jurisdiction_id: FromQuery[str | None] = None


@attrs.frozen
class CaseReport:
    """A case reported from the app (上报事务), see ``CasesService.report``."""

    category: str
    building_code: str
    description: str
    channel: str = Channel.APP.value
    household_id: str | None = None
    reporter_name: str | None = None
    lat: float | None = None
    long: float | None = None
    media_url: str | None = None


@attrs.frozen
class CaseStep:
    """A step of a case's handling (分派, 开始办理, 办结): the handler, for an assignment."""

    note: str = ""
    handler_id: str | None = None


@attrs.frozen
class Rating:
    """The resident's rating of a resolved case (回访评价, 1-5), which closes it."""

    satisfaction: int
    note: str = ""


@attrs.frozen
class AttendanceItem:
    """One volunteer who served (志愿服务考勤): the whole activity, or so many minutes."""

    resident_id: str
    minutes: int | None = None


@attrs.frozen
class Attendance:
    """Who served at an activity (志愿服务考勤)."""

    attendees: list[AttendanceItem]


@attrs.frozen
class PointsChange:
    """Points earned or spent (积分), see ``PointsService.earn`` and ``redeem``."""

    resident_id: str
    amount: int
    reason: str = ""


@attrs.frozen
class Redemption:
    """Goods taken from the points supermarket (积分超市兑换)."""

    resident_id: str
    item_id: str
    quantity: int = 1


@attrs.frozen
class NewBooking:
    """An appointment (预约) at a service centre's slot."""

    centre_id: str
    start: dt.datetime
    resident_id: str
    matter_code: str | None = None


# ----------------------------------------------------------------------------- sign-in


@post(f"{API}/auth/external", tags=["Auth"],
      summary="Exchange a verified external identity (WeChat openid/unionid) for a token",
      opt={"body": ExternalSignIn})
@blocking
def external_sign_in(request: Request[Any, Any, Any], data: _Body) -> Response[Any]:
    """The mini-program's back end (a token bound to a system job) has verified the identity
    with its provider; the county plugin's ``cgov_external_identity`` maps it to a resident
    or staff member, and a short-lived token acting as them is issued."""
    gov = gov_of(request)
    cmd = body(data, ExternalSignIn)
    scopes = check_scopes(cmd.scopes)
    own = authenticate(request)
    for scope in scopes:  # the new token gets no scope the calling one lacks
        caller = require(request, scope, token=own)
    if caller.kind is not ActorKind.SYSTEM:
        raise TokenInvalid("signing in an external identity needs the back end's token "
                           "(bound to a system job: cgov tokens issue --for system:...)")
    county = county_of(request, cmd.jurisdiction_id)
    answers = gov.hooks.all("cgov_external_identity", expect_identity, place=county,
                            provider=cmd.provider, subject=cmd.subject,
                            county_code=county or "")
    if not answers:
        raise TokenInvalid(f"no plugin of county {county or '(any)'} knows this "
                           f"{cmd.provider} identity: bind it in the county's plugin")
    plugin, who = answers[0]
    hours = settings_of(request).external_token_hours
    got = gov.tokens.issue(caller, who, scopes, label=f"{cmd.provider} via {plugin}"[:200],
                           expires_at=gov.now().add(hours=hours), county=county)
    return json_response({"token": got.secret, "token_type": "Bearer",
                          "expires_at": got.token.expires_at, "actor": got.token.actor,
                          "scopes": got.token.scopes}, 201)


# ----------------------------------------------------------------------------- residents


@post(f"{API}/residents", tags=["Residents"], summary="Register a resident (居民登记)",
      opt={"body": NewResident})
@blocking
def register_resident(request: Request[Any, Any, Any], data: _Body) -> Response[Any]:
    """Register a resident; the answer is masked (ID and phone numbers)."""
    actor = require(request, "residents")
    gov = gov_of(request)
    new = gov.registry.register_resident(actor, body(data, NewResident))
    return json_response(gov.registry.get_resident(actor, new.id), 201)


@get(f"{API}/residents/{{resident_id:str}}", tags=["Residents"],
     summary="A resident's record, masked unless revealed with a reason")
@blocking
def read_resident(request: Request[Any, Any, Any], resident_id: FromPath[str],
                  reason: Annotated[str | None, HeaderParameter(name="Cgov-Reveal-Reason")] = None,
                  ) -> Response[Any]:
    """Masked by default; a ``Cgov-Reveal-Reason`` header (percent-encoded UTF-8, as headers
    carry ASCII) asks for the full numbers (the reason goes to the access log; the actor
    needs the right). The reason travels in a
    header so that it never appears in a URL or an access log."""
    actor = require(request, "residents")
    reason = urllib.parse.unquote(reason) if reason else None
    reveal = bool(reason and reason.strip())
    return json_response(gov_of(request).registry.get_resident(
        actor, resident_id, reveal=reveal, reason=reason if reveal else None))


# ----------------------------------------------------------------------------- cases


@post(f"{API}/cases", tags=["Cases"], summary="Report a case (上报事务) with photo and place",
      opt={"body": CaseReport})
@blocking
def report_case(request: Request[Any, Any, Any], data: _Body,
                idempotency: _Key = None) -> Response[Any]:
    """A resident reports for themselves; staff record one on the spot. With an
    ``Idempotency-Key`` header a retried report answers the first case instead of filing a
    second."""
    actor = require(request, "cases")

    def run() -> Any:
        cmd = body(data, CaseReport)
        return gov_of(request).cases.report(actor, **attrs.asdict(cmd))

    return idempotent(request, actor, data, run, 201,
                      lambda case: getattr(case, "reporter_id", None))


@get(f"{API}/cases", tags=["Cases"], summary="Cases in the actor's scope, newest first")
@blocking
def list_cases(request: Request[Any, Any, Any], status: FromQuery[str | None] = None,
               within: FromQuery[str | None] = None,
               limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100) -> Response[Any]:
    """A resident sees their own cases; staff those of their units."""
    actor = require(request, "cases")
    if status:
        try:
            status = CaseStatus(status).value
        except ValueError:
            raise ValidationError(f"status {status!r} is not one of "
                                  f"{', '.join(s.value for s in CaseStatus)}",
                                  path="status") from None
    return json_response(gov_of(request).cases.list_cases(
        actor, status=status or None, within=within or None, limit=limit))


@get(f"{API}/cases/{{case_id:str}}", tags=["Cases"], summary="One case")
@blocking
def read_case(request: Request[Any, Any, Any], case_id: FromPath[str]) -> Response[Any]:
    """One case (numbers typed into its text masked)."""
    return json_response(gov_of(request).cases.get(require(request, "cases"), case_id))


@get(f"{API}/cases/{{case_id:str}}/history", tags=["Cases"],
     summary="Every step of a case (流转记录)")
@blocking
def case_history(request: Request[Any, Any, Any], case_id: FromPath[str]) -> Response[Any]:
    """The case's transitions, in order."""
    return json_response(gov_of(request).cases.history(require(request, "cases"), case_id))


def _step(request: Request[Any, Any, Any], case_id: str, data: _Body, what: str) -> Any:
    actor = require(request, "cases")
    cmd = body(data, CaseStep)
    cases = gov_of(request).cases
    if what == "assign":
        if not cmd.handler_id:
            raise ValidationError("an assignment names the handler", path="$.handler_id")
        return cases.assign(actor, case_id, cmd.handler_id, note=cmd.note)
    if cmd.handler_id is not None:
        raise ValidationError(f"handler_id belongs to an assignment, not to {what}",
                              path="$.handler_id")
    return getattr(cases, what)(actor, case_id, note=cmd.note)


@post(f"{API}/cases/{{case_id:str}}/assign", tags=["Cases"], summary="Assign a case (分派)",
      opt={"body": CaseStep}, status_code=200)
@blocking
def assign_case(request: Request[Any, Any, Any],
                case_id: FromPath[str], data: _Body) -> Response[Any]:
    """Assign the case to a handler at the level that holds it."""
    return json_response(_step(request, case_id, data, "assign"))


@post(f"{API}/cases/{{case_id:str}}/start", tags=["Cases"],
      summary="Start handling a case (开始办理)",
      opt={"body": CaseStep}, status_code=200)
@blocking
def start_case(request: Request[Any, Any, Any],
               case_id: FromPath[str], data: _Body) -> Response[Any]:
    """The handler starts."""
    return json_response(_step(request, case_id, data, "start"))


@post(f"{API}/cases/{{case_id:str}}/resolve", tags=["Cases"], summary="Resolve a case (办结)",
      opt={"body": CaseStep}, status_code=200)
@blocking
def resolve_case(request: Request[Any, Any, Any],
                 case_id: FromPath[str], data: _Body) -> Response[Any]:
    """The handler resolved the matter."""
    return json_response(_step(request, case_id, data, "resolve"))


@post(f"{API}/cases/{{case_id:str}}/rate", tags=["Cases"],
      summary="Rate a resolved case (回访评价), which closes it",
      opt={"body": Rating}, status_code=200)
@blocking
def rate_case(request: Request[Any, Any, Any],
              case_id: FromPath[str], data: _Body) -> Response[Any]:
    """The reporter (or the community office on their behalf) rates 1-5."""
    actor = require(request, "cases")
    cmd = body(data, Rating)
    return json_response(gov_of(request).cases.close(
        actor, case_id, satisfaction=cmd.satisfaction, note=cmd.note))


# ----------------------------------------------------------------------------- volunteers


@post(f"{API}/activities/{{activity_id:str}}/attendance", tags=["Volunteers"],
      summary="Record who served at an activity (志愿服务考勤), awarding their points",
      opt={"body": Attendance}, status_code=200)
@blocking
def attendance(request: Request[Any, Any, Any], activity_id: FromPath[str],
               data: _Body, idempotency: _Key = None) -> Response[Any]:
    """A retried call writes nothing twice (those recorded before are listed in
    ``already``); with an ``Idempotency-Key`` header the retry answers exactly the first
    answer."""
    actor = require(request, "volunteers")

    def run() -> Any:
        cmd = body(data, Attendance)
        attendees = [a.resident_id if a.minutes is None else (a.resident_id, a.minutes)
                     for a in cmd.attendees]
        return gov_of(request).volunteers.record_attendance(actor, activity_id, attendees)

    return idempotent(request, actor, data, run, 200)


# ----------------------------------------------------------------------------- points


@post(f"{API}/points/earn", tags=["Points"],
      summary="Award points (获得积分); needs an Idempotency-Key header",
      opt={"body": PointsChange})
@blocking
def points_earn(request: Request[Any, Any, Any], data: _Body) -> Response[Any]:
    """A journal entry, or an award waiting for a second person (双人复核)."""
    actor = require(request, "points")
    key = idempotency_key(request)
    cmd = body(data, PointsChange)
    return json_response(gov_of(request).points.earn(
        actor, cmd.resident_id, cmd.amount, key=key, reason=cmd.reason), 201)


@post(f"{API}/points/redeem", tags=["Points"],
      summary="Spend points outside the item list (兑换); needs an Idempotency-Key header",
      opt={"body": PointsChange})
@blocking
def points_redeem(request: Request[Any, Any, Any], data: _Body) -> Response[Any]:
    """A journal entry."""
    actor = require(request, "points")
    key = idempotency_key(request)
    cmd = body(data, PointsChange)
    return json_response(gov_of(request).points.redeem(
        actor, cmd.resident_id, cmd.amount, key=key, reason=cmd.reason), 201)


@get(f"{API}/points/{{resident_id:str}}/balance", tags=["Points"],
     summary="A resident's points balance")
@blocking
def points_balance(request: Request[Any, Any, Any], resident_id: FromPath[str]) -> Response[Any]:
    """The resident themselves, or the staff of their community."""
    actor = require(request, "points")
    return json_response({"resident_id": resident_id,
                          "balance": gov_of(request).points.balance(actor, resident_id)})


@post(f"{API}/supermarket/redeem", tags=["Points"],
      summary="Take goods from the points supermarket; needs an Idempotency-Key header",
      opt={"body": Redemption})
@blocking
def supermarket_redeem(request: Request[Any, Any, Any], data: _Body) -> Response[Any]:
    """Stock and points move in one transaction."""
    actor = require(request, "points")
    key = idempotency_key(request)
    cmd = body(data, Redemption)
    return json_response(gov_of(request).supermarket.redeem(
        actor, cmd.resident_id, cmd.item_id, cmd.quantity, key=key), 201)


# ----------------------------------------------------------------------------- appointments


@get(f"{API}/centres/{{centre_id:str}}/slots", tags=["Appointments"],
     summary="A centre's slots on a day, with the seats still free")
@blocking
def centre_slots(request: Request[Any, Any, Any], centre_id: FromPath[str],
                 day: FromQuery[dt.date]) -> Response[Any]:
    """Slots of ``day`` (YYYY-MM-DD)."""
    require(request, "appointments")
    found = gov_of(request).appointments.slots(centre_id, day)
    return json_response([{"start": s.local, "minutes": s.minutes, "free": s.free}
                          for s in found])


@post(f"{API}/appointments", tags=["Appointments"], summary="Book a slot (预约)",
      opt={"body": NewBooking})
@blocking
def book(request: Request[Any, Any, Any], data: _Body) -> Response[Any]:
    """The resident, or staff booking for them."""
    actor = require(request, "appointments")
    cmd = body(data, NewBooking)
    return json_response(gov_of(request).appointments.book(
        actor, cmd.centre_id, cmd.start, cmd.resident_id, matter_code=cmd.matter_code), 201)


@get(f"{API}/appointments", tags=["Appointments"],
     summary="Appointments in the actor's scope (a resident: their own)")
@blocking
def appointments(request: Request[Any, Any, Any], centre_id: FromQuery[str | None] = None,
                 day: FromQuery[dt.date | None] = None) -> Response[Any]:
    """Live appointments, by slot."""
    actor = require(request, "appointments")
    return json_response(gov_of(request).appointments.appointments(
        actor, centre_id=centre_id or None, day=day))


@post(f"{API}/appointments/{{appointment_id:str}}/cancel", tags=["Appointments"],
      summary="Cancel an appointment", status_code=200)
@blocking
def cancel(request: Request[Any, Any, Any], appointment_id: FromPath[str]) -> Response[Any]:
    """The resident, or staff."""
    actor = require(request, "appointments")
    return json_response(gov_of(request).appointments.cancel(actor, appointment_id))


ROUTES: list[Any] = [
    external_sign_in, register_resident, read_resident, report_case, list_cases, read_case,
    case_history, assign_case, start_case, resolve_case, rate_case, attendance, points_earn,
    points_redeem, points_balance, supermarket_redeem, centre_slots, book, appointments,
    cancel,
]
