"""Actors, roles and the access policy (权限): deny by default.

Every service call is made by an :class:`Actor`. The services resolve an actor to a
:class:`Principal` (the actor with the posts it holds on the day of the call) and ask
:func:`can` before touching a single object, or :func:`scope_for` to narrow a list query in the
storage layer. The unit hierarchy gives scope: a right held at a community covers every code
that starts with the community's code (its grids, compounds and buildings); a grid leader's right
covers the buildings assigned to the grid; a building leader's the buildings of the courtyard.

The policy is one table: each :class:`Action` names the roles that may perform it within their
scope, whether a resident may perform it on their own records, and whether it touches personal
data (for which a plugin may only narrow, never widen, the answer).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable

import attrs

from community_governance.domain.posts import Post, PostKind

__all__ = [
    "Action",
    "Actor",
    "ActorKind",
    "Principal",
    "Scope",
    "Target",
    "can",
    "explain_denial",
    "scope_for",
]


class ActorKind(enum.StrEnum):
    """Who acts: a resident, a staff member, a system job, or the public."""

    RESIDENT = "resident"  #: 居民
    STAFF = "staff"  #: 工作人员 (any post holder who is not acting as a resident)
    SYSTEM = "system"  #: a system job (imports, escalation, the demo)
    PUBLIC = "public"  #: anyone, not signed in


@attrs.frozen
class Actor:
    """Who makes a service call (操作人).

    Build one with :meth:`resident`, :meth:`staff`, :meth:`system` or :meth:`public`.

    Attributes:
        kind: resident, staff, system or public.
        id: the resident's or staff member's key, or the job's name.
    """

    kind: ActorKind = attrs.field(converter=ActorKind)
    id: str = ""

    @classmethod
    def resident(cls, resident_id: str) -> Actor:
        """A resident acting for themselves."""
        return cls(ActorKind.RESIDENT, resident_id)

    @classmethod
    def staff(cls, holder_id: str) -> Actor:
        """A post holder (staff member, or a resident who holds a post) acting in office."""
        return cls(ActorKind.STAFF, holder_id)

    @classmethod
    def system(cls, job: str = "system") -> Actor:
        """A system job: imports, escalation, demos. Holds every right."""
        return cls(ActorKind.SYSTEM, job)

    @classmethod
    def public(cls) -> Actor:
        """Anyone: reads disclosures and the service guide, nothing personal."""
        return cls(ActorKind.PUBLIC, "public")

    def __str__(self) -> str:
        return f"{self.kind.value}:{self.id}" if self.id else self.kind.value


@attrs.frozen
class Action:
    """An action the policy knows.

    Attributes:
        name: ``area.verb``, e.g. ``resident.read``.
        roles: the posts that may perform it on targets within the post's scope.
        self_service: a resident may perform it on records they own.
        personal: it reveals or changes personal data; plugins can only narrow it.
        public: anyone may perform it (disclosures, the service guide).
    """

    name: str
    roles: frozenset[PostKind] = frozenset()
    self_service: bool = False
    personal: bool = False
    public: bool = False

    def __str__(self) -> str:
        return self.name


@attrs.frozen
class Target:
    """The object an action is performed on, as the policy sees it.

    Attributes:
        kind: e.g. ``resident``, ``household``, ``unit``, ``account``.
        key: the object's key (never a full ID number).
        unit_code: the most specific unit the object belongs to (a building, a grid...).
        grid_code: the grid of the object's building, when known.
        owner_id: the resident who owns the record, if any.
        community_code: the object's community, when known (for community-only rights).
    """

    kind: str
    key: str
    unit_code: str | None = None
    grid_code: str | None = None
    owner_id: str | None = None

    def __str__(self) -> str:
        return f"{self.kind} {self.key}"


@attrs.frozen
class Scope:
    """Which rows a list query may read: the storage layer turns this into a WHERE clause.

    Attributes:
        everything: no restriction (system jobs, a county administrator's county).
        prefixes: unit codes whose descendants are visible (code LIKE prefix || '%').
        grids: grid codes whose buildings are visible.
        buildings: building codes that are visible.
        residents: resident keys that are visible (a resident's own records).
    """

    everything: bool = False
    prefixes: frozenset[str] = frozenset()
    grids: frozenset[str] = frozenset()
    buildings: frozenset[str] = frozenset()
    residents: frozenset[str] = frozenset()

    @property
    def empty(self) -> bool:
        """Whether the scope shows nothing at all."""
        return not (
            self.everything or self.prefixes or self.grids or self.buildings or self.residents
        )

    def covers(self, target: Target) -> bool:
        """Whether ``target`` lies inside the scope (the same rule as the SQL filter)."""
        if self.everything:
            return True
        if target.owner_id is not None and target.owner_id in self.residents:
            return True
        code = target.unit_code
        if code is not None:
            if any(code.startswith(p) for p in self.prefixes):
                return True
            if code in self.buildings or code in self.grids:
                return True
        return target.grid_code is not None and target.grid_code in self.grids


@attrs.frozen
class Principal:
    """An actor together with the posts it holds on the day of the call.

    Attributes:
        actor: who acts.
        posts: posts active on ``day`` (ended posts are already left out).
        day: the day the rights are evaluated for.
    """

    actor: Actor
    posts: tuple[Post, ...] = ()
    day: dt.date | None = None

    @classmethod
    def of(cls, actor: Actor, posts: Iterable[Post], day: dt.date) -> Principal:
        """Keep only the posts active on ``day``: a post that ended grants nothing."""
        return cls(actor, tuple(p for p in posts if p.active_on(day)), day)


def _post_scope(post: Post) -> Scope:
    if post.kind is PostKind.GRID_LEADER:
        return Scope(grids=frozenset({post.unit_code}))
    if post.kind in (PostKind.BUILDING_LEADER, PostKind.PARTY_HOUSEHOLD_CENTRE) and "-B" in (
        post.unit_code
    ):
        return Scope(buildings=frozenset({post.unit_code, *post.covers}))
    if "-W" in post.unit_code:
        return Scope(grids=frozenset({post.unit_code}))
    return Scope(prefixes=frozenset({post.unit_code, *post.covers}))


def _union(scopes: Iterable[Scope]) -> Scope:
    everything = False
    prefixes: set[str] = set()
    grids: set[str] = set()
    buildings: set[str] = set()
    residents: set[str] = set()
    for s in scopes:
        everything |= s.everything
        prefixes |= s.prefixes
        grids |= s.grids
        buildings |= s.buildings
        residents |= s.residents
    if everything:
        return Scope(everything=True)
    return Scope(False, frozenset(prefixes), frozenset(grids), frozenset(buildings),
                 frozenset(residents))


def scope_for(principal: Principal, action: Action) -> Scope:
    """The rows ``principal`` may see or touch with ``action``: the union of its posts' scopes
    for the posts the action allows, plus its own records for self-service actions."""
    kind = principal.actor.kind
    if kind is ActorKind.SYSTEM or action.public:
        return Scope(everything=True)
    parts = [_post_scope(p) for p in principal.posts if p.kind in action.roles]
    if kind is ActorKind.RESIDENT and action.self_service:
        parts.append(Scope(residents=frozenset({principal.actor.id})))
    return _union(parts)


def can(principal: Principal, action: Action, target: Target) -> bool:
    """Whether ``principal`` may perform ``action`` on ``target`` (deny by default)."""
    if action.public or principal.actor.kind is ActorKind.SYSTEM:
        return True
    if principal.actor.kind is ActorKind.PUBLIC:
        return False
    return scope_for(principal, action).covers(target)


def explain_denial(principal: Principal, action: Action, target: Target) -> str:
    """A sentence saying why ``can`` answered no, and what would grant the right."""
    if principal.actor.kind is ActorKind.PUBLIC:
        return "the public reads disclosures and the service guide only; sign in as a resident or staff"
    roles = ", ".join(sorted(r.value for r in action.roles)) or "no post"
    held = ", ".join(f"{p.kind.value}@{p.unit_code}" for p in principal.posts) or "no active post"
    own = " (or the resident who owns the record)" if action.self_service else ""
    return (
        f"it needs a post among [{roles}]{own} whose unit covers the target; "
        f"the actor holds {held} on {principal.day}"
    )
