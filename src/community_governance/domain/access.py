"""Actors, roles and the access policy (权限): deny by default.

Every service call is made by an :class:`Actor`. The services resolve an actor to a
:class:`Principal` (the actor with the posts it holds on the day of the call) and ask
:func:`can` before touching a single object, or :func:`scope_for` to narrow a list query in the
storage layer. The unit hierarchy gives scope: a right held at a county, sub-district or
community covers every code that starts with its code (its grids, compounds and buildings); a
right held at a grid covers the buildings assigned to the grid; a right held at a building
covers that building (and the buildings of the courtyard the post ``covers``).

Posts grant rights only to staff actors (``Actor.staff(holder key)``; a resident who holds a
post acts in office that way) and only on the days of their term; a resident actor
(``Actor.resident(key)``) has only the self-service rights on their own records.

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
from community_governance.errors import ValidationError

__all__ = [
    "Action",
    "Actor",
    "ActorKind",
    "Principal",
    "Scope",
    "Target",
    "can",
    "explain_denial",
    "post_scope",
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
    id: str = attrs.field(default="", converter=str)

    def __attrs_post_init__(self) -> None:
        if self.kind in (ActorKind.RESIDENT, ActorKind.STAFF) and not self.id.strip():
            raise ValidationError(
                f"a {self.kind.value} actor needs the key of the person who acts, e.g. "
                f"Actor.{self.kind.value}('R0001')",
                path="actor.id",
            )

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


def _roles(value: Iterable[PostKind | str]) -> frozenset[PostKind]:
    return frozenset(PostKind(v) for v in value)


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
    roles: frozenset[PostKind] = attrs.field(default=frozenset(), converter=_roles)
    self_service: bool = False
    personal: bool = False
    public: bool = False

    def __attrs_post_init__(self) -> None:
        if not self.name or "." not in self.name:
            raise ValidationError(
                f"an action is named 'area.verb', e.g. 'points.earn', got {self.name!r}",
                path="action.name",
            )
        if self.public and self.personal:
            raise ValidationError(
                f"action {self.name} cannot be both public and personal: personal data is "
                "never public",
                path="action.public",
            )

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
        everything: no restriction (system jobs, public actions).
        prefixes: unit codes whose descendants are visible (code LIKE prefix || '%'): counties,
            sub-districts and communities, whose codes are fixed-length digit strings.
        grids: grid codes whose buildings are visible.
        buildings: unit codes visible exactly (buildings, and any other code below a community
            that is not a grid).
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

    @classmethod
    def union(cls, scopes: Iterable[Scope]) -> Scope:
        """The scope that shows what any of ``scopes`` shows."""
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
            return cls(everything=True)
        return cls(False, frozenset(prefixes), frozenset(grids), frozenset(buildings),
                   frozenset(residents))


@attrs.frozen
class Principal:
    """An actor together with the posts it holds on the day of the call.

    Attributes:
        actor: who acts.
        posts: posts active on ``day`` (ended posts are already left out by :meth:`of`).
        day: the day the rights are evaluated for; posts not active on it grant nothing even
            when passed in ``posts``.
        inactive: the actor's posts that are not active on ``day`` (ended, or not yet begun);
            they grant nothing and serve only to explain a denial.
    """

    actor: Actor
    posts: tuple[Post, ...] = ()
    day: dt.date | None = None
    inactive: tuple[Post, ...] = ()

    @classmethod
    def of(cls, actor: Actor, posts: Iterable[Post], day: dt.date) -> Principal:
        """Keep only the actor's posts active on ``day``: a post that ended grants nothing.

        Posts held by someone else (another ``holder_id``) are dropped.
        """
        mine = [p for p in posts if p.holder_id == actor.id]
        return cls(actor, tuple(p for p in mine if p.active_on(day)), day,
                   tuple(p for p in mine if not p.active_on(day)))

    def active_posts(self) -> tuple[Post, ...]:
        """The posts that grant rights: only a staff actor's, only those active on ``day``."""
        if self.actor.kind is not ActorKind.STAFF:
            return ()
        day = self.day
        return tuple(p for p in self.posts if p.holder_id == self.actor.id
                     and (day is None or p.active_on(day)))


def _code_scope(code: str) -> Scope:
    """The scope of a right held at (or covering) the unit ``code``.

    Counties, sub-districts and communities (digit codes) cover every code that starts with
    theirs; a grid covers its buildings (through their grid column); any other code below a
    community (a building, a compound) covers exactly that code.
    """
    if code.isdigit():
        return Scope(prefixes=frozenset({code}))
    if "-W" in code:
        return Scope(grids=frozenset({code}))
    return Scope(buildings=frozenset({code}))


def post_scope(post: Post) -> Scope:
    """The units a post's rights reach: its unit and the units it ``covers``."""
    return Scope.union(_code_scope(c) for c in (post.unit_code, *post.covers) if c)


def scope_for(principal: Principal, action: Action) -> Scope:
    """The rows ``principal`` may see or touch with ``action``.

    The union of the scopes of the actor's active posts whose kind the action allows (staff
    actors only), plus the actor's own records for self-service actions (resident actors only).
    System jobs and public actions see everything; anything else sees nothing.
    """
    kind = principal.actor.kind
    if kind is ActorKind.SYSTEM or action.public:
        return Scope(everything=True)
    parts = [post_scope(p) for p in principal.active_posts() if p.kind in action.roles]
    if kind is ActorKind.RESIDENT and action.self_service:
        parts.append(Scope(residents=frozenset({principal.actor.id})))
    return Scope.union(parts)


def can(principal: Principal, action: Action, target: Target) -> bool:
    """Whether ``principal`` may perform ``action`` on ``target`` (deny by default)."""
    if action.public or principal.actor.kind is ActorKind.SYSTEM:
        return True
    if principal.actor.kind is ActorKind.PUBLIC:
        return False
    return scope_for(principal, action).covers(target)


def explain_denial(principal: Principal, action: Action, target: Target) -> str:
    """A sentence saying why ``can`` answered no, and what would grant the right."""
    actor = principal.actor
    roles = ", ".join(sorted(r.value for r in action.roles))
    # the target's location is not named: a denied actor learns nothing about where it lives
    needs = f"a post among [{roles}] whose unit covers {target}" if roles else "a system job"
    if actor.kind is ActorKind.PUBLIC:
        return (f"the public reads disclosures and the service guide only; {action} needs "
                f"{needs}: sign in as a resident or staff")
    if actor.kind is ActorKind.RESIDENT:
        if action.self_service:
            return (f"a resident acting for themselves may {action} only their own records, "
                    f"and {target} is not theirs; for more, a post holder acts as "
                    f"Actor.staff(...) and needs {needs}")
        return (f"a resident acting for themselves may not {action}; it needs {needs}; a "
                f"resident who holds such a post acts as Actor.staff({actor.id!r})")
    if actor.kind is not ActorKind.STAFF:  # pragma: no cover - system is always allowed
        return f"{action} needs {needs}"
    posts = principal.active_posts()
    day = principal.day
    if not posts:
        ended = [p for p in principal.inactive if p.end is not None and day and p.end < day]
        if ended:
            last = max(ended, key=lambda p: p.end or p.start)
            return (f"the actor holds no post on {day}: {last.kind.value}@{last.unit_code} "
                    f"ended on {last.end}, and a post that ended grants nothing; {action} "
                    f"needs {needs}")
        return f"the actor holds no active post on {day}; {action} needs {needs}"
    held = ", ".join(f"{p.kind.value}@{p.unit_code}" for p in posts)
    fitting = [p for p in posts if p.kind in action.roles]
    if not fitting:
        return f"no post the actor holds on {day} ({held}) may {action}; it needs {needs}"
    near = ", ".join(f"{p.kind.value}@{p.unit_code}" for p in fitting)
    return (f"the actor's posts that may {action} ({near}) do not cover {target}; it needs "
            f"{needs}")
