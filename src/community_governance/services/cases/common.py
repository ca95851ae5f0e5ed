"""Shared pieces of the cases service (事务): the actions, the guarded update, the
hook-answer checks and the result of an import."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, TypeVar

import attrs
import sqlalchemy as sa

from community_governance.domain.access import Action
from community_governance.domain.actions import COMMUNITY_OFFICE, HIGHER_OFFICE, LOCAL_POSTS
from community_governance.domain.cases import CaseCategory, RouteStep
from community_governance.domain.chain import json_value, link_text
from community_governance.domain.posts import PostKind
from community_governance.plugins import expect_each, expect_type
from community_governance.storage.tables import cases as ct

T = TypeVar("T")

#: Report a case: staff near the households, or a resident as themselves.
CASE_REPORT = Action("case.report", roles=COMMUNITY_OFFICE | HIGHER_OFFICE | LOCAL_POSTS,
                     self_service=True)
#: Read cases (they carry the reporter's name): staff in scope, or the reporter.
CASE_READ = Action("case.read", roles=COMMUNITY_OFFICE | HIGHER_OFFICE | LOCAL_POSTS,
                   self_service=True, personal=True)
#: Assign, start, resolve, escalate a case at the level that holds it.
CASE_HANDLE = Action("case.handle", roles=COMMUNITY_OFFICE | HIGHER_OFFICE | frozenset(
    {PostKind.GRID_LEADER, PostKind.ASSIGNED_CADRE}))
#: Close (回访) or reopen a resolved case: the community office, or the reporter.
CASE_CLOSE = Action("case.close", roles=COMMUNITY_OFFICE | HIGHER_OFFICE, self_service=True)
#: Export cases (Open311): personal data is masked.
CASE_EXPORT = Action("case.export", roles=COMMUNITY_OFFICE | HIGHER_OFFICE)
#: Import cases from another system.
CASE_IMPORT = Action("case.import", roles=HIGHER_OFFICE | frozenset(
    {PostKind.SECRETARY, PostKind.DIRECTOR}))


#: One case row, changed only if no one else changed it since it was read (optimistic lock);
#: the SET columns come from the parameters.
_GUARDED_UPDATE = ct.cases.update().where(ct.cases.c.id == sa.bindparam("k_id"),
                                          ct.cases.c.seq == sa.bindparam("k_seq"))


#: The columns of ``case_transitions`` that a transition's hash covers (all but ``id`` and the
#: hash): each case's transitions form one chain, its head kept in ``cases.chain_head``.
CASE_CHAIN_COLUMNS = ("case_id", "seq", "event", "from_status", "to_status", "actor", "at",
                      "level", "unit_code", "handler_id", "note")


def transition_text(row: Mapping[str, Any]) -> str:
    """``canonical_text`` of a transition's :data:`CASE_CHAIN_COLUMNS`, written key by key in
    their sorted order (an import hashes tens of thousands: the general encoder's dict and
    sort cost more than the hash). The same bytes for any values (a test compares them)."""
    j = json_value
    return (f'{{"actor":{j(row["actor"])},"at":{j(row["at"])},"case_id":{j(row["case_id"])},'
            f'"event":{j(row["event"])},"from_status":{j(row["from_status"])},'
            f'"handler_id":{j(row["handler_id"])},"level":{j(row["level"])},'
            f'"note":{j(row["note"])},"seq":{j(row["seq"])},"to_status":{j(row["to_status"])},'
            f'"unit_code":{j(row["unit_code"])}}}')


def chain_transition(prev: str, row: dict[str, Any]) -> str:
    """Set ``row["chain_hash"]`` (a ``case_transitions`` row as a dict) and return it:
    ``link(prev, <the row's CASE_CHAIN_COLUMNS>)``."""
    digest = link_text(prev, transition_text(row))
    row["chain_hash"] = digest
    return digest


def _expect_category(value: Any) -> CaseCategory:
    return expect_type(CaseCategory)(value)


def _expect_route(value: Any) -> list[RouteStep]:
    steps = expect_each(expect_type(RouteStep))(value)
    if not steps:
        raise ValueError("a route needs at least one step")
    levels = [int(s.level) for s in steps]
    if levels != sorted(set(levels)):
        raise ValueError(f"route levels must rise strictly, got {levels}")
    return steps





def _plain(day: dt.date) -> dt.date:
    return dt.date(day.year, day.month, day.day)


@attrs.frozen
class JobFailure:
    """One case a batch job could not handle (the others went on).

    Attributes:
        case_id: the case.
        error: the error's type name, e.g. ``PluginError``.
        message: what went wrong (the error's message).
    """

    case_id: str
    error: str
    message: str


@attrs.frozen
class JobResult:
    """What a batch job over many cases did (超期升级, 期限重算...): each case is handled on
    its own, so one failure is reported here with its case id and the others go on.

    Attributes:
        done: the cases changed, as they are afterwards.
        failed: the cases that failed, with the reason.
        details: per changed case, what changed (e.g. old and new deadline), by case id.
    """

    done: tuple[Any, ...] = ()
    failed: tuple[JobFailure, ...] = ()
    details: dict[str, dict[str, Any]] = attrs.field(factory=dict)

    @property
    def ok(self) -> bool:
        """Whether every case was handled."""
        return not self.failed

    @property
    def ids(self) -> list[str]:
        """The ids of the changed cases, in order."""
        return [c.id for c in self.done]


@attrs.frozen
class ImportResult:
    """What :meth:`CasesService.import_open311` did.

    Attributes:
        created: the ids of the cases created.
        skipped: the ids already present (an import can be repeated safely).
    """

    created: tuple[str, ...]
    skipped: tuple[str, ...]

