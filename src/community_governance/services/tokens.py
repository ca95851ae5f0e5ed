"""API tokens (接口令牌) of the HTTP API: issue, list, revoke, and authenticate a bearer.

Issuing returns the secret once; the store keeps its SHA-256 digest only, so a copy of the
database gives no usable token. Issuing and revoking are audited like every write; issuing
needs a system job or the county administrator (``token.admin``).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from typing import Any

import attrs
import sqlalchemy as sa

from community_governance.domain.access import Action, Actor, ActorKind, Target
from community_governance.domain.posts import PostKind
from community_governance.domain.tokens import (
    TOKEN_PREFIX,
    ApiToken,
    check_scopes,
    hash_token,
)
from community_governance.errors import NotFound, TokenInvalid, ValidationError
from community_governance.services.base import Service
from community_governance.storage.tables import tokens as tt

__all__ = ["TOKEN_ADMIN", "IssuedToken", "TokensService", "expect_identity"]

#: Issue, list and revoke API tokens: the county administrator (and system jobs).
TOKEN_ADMIN = Action("token.admin", roles=frozenset({PostKind.COUNTY_ADMIN}))


@attrs.frozen
class IssuedToken:
    """A token just issued: its secret is shown this once and never stored.

    Attributes:
        token: the stored record.
        secret: the bearer secret (``cgov_...``) to hand to the client.
    """

    token: ApiToken
    secret: str = attrs.field(repr=False)


def _row(r: Any) -> ApiToken:
    return ApiToken(id=int(r.id), actor=Actor(ActorKind(r.actor_kind), r.actor_id),
                    scopes=tuple(r.scopes.split()), label=r.label, created_at=r.created_at,
                    expires_at=r.expires_at, revoked_at=r.revoked_at)


class TokensService(Service):
    """The HTTP API's bearer tokens (接口令牌)."""

    def issue(self, actor: Actor, bound_to: Actor, scopes: Sequence[str] | str, *,
              label: str = "", expires_at: dt.datetime | None = None,
              county: str | None = None) -> IssuedToken:
        """Issue a token acting as ``bound_to`` within ``scopes``.

        Args:
            actor: who issues (a system job, or the county administrator of ``county``).
            bound_to: who the token acts as (a resident, a staff member or a system job;
                never the public).
            scopes: the API areas it may call (see :data:`~community_governance.domain.
                tokens.SCOPES`).
            label: what it is for.
            expires_at: when it stops working (default: never; revoke it instead).
            county: the county the token serves (the administrator's scope).

        Raises:
            ValidationError: an unknown scope, a public actor, an expiry in the past.
            PermissionDenied: the actor may not issue tokens.
        """
        checked = check_scopes(scopes)
        if bound_to.kind is ActorKind.PUBLIC:
            raise ValidationError("a token acts as a resident, a staff member or a system job, "
                                  "not as the public (public routes need no token)",
                                  path="bound_to")
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self._write(actor, "tokens.issue") as op:
            op.require(TOKEN_ADMIN, Target("api_token", "new", unit_code=county))
            if expires_at is not None and expires_at <= op.now:
                raise ValidationError(f"expiry {expires_at.isoformat()} is not in the future",
                                      path="expires_at")
            result = op.uow.conn.execute(tt.api_tokens.insert().values(
                token_hash=hash_token(secret), actor_kind=bound_to.kind.value,
                actor_id=bound_to.id[:60], scopes=" ".join(checked), label=label[:200],
                created_at=op.now, created_by=f"{actor.kind.value}:{actor.id}"[:80],
                expires_at=expires_at, revoked_at=None))
            new_id = int(result.inserted_primary_key[0])  # type: ignore[index]
            op.touch("api_token", new_id)
            row = op.uow.conn.execute(sa.select(tt.api_tokens).where(
                tt.api_tokens.c.id == new_id)).one()
            return IssuedToken(_row(row), secret)

    def list_tokens(self, actor: Actor, *, county: str | None = None) -> list[ApiToken]:
        """Every token (never a secret), newest first."""
        with self._read(actor, "tokens.list") as op:
            op.require(TOKEN_ADMIN, Target("api_token", "*", unit_code=county))
            rows = op.uow.conn.execute(sa.select(tt.api_tokens).order_by(
                tt.api_tokens.c.id.desc())).all()
        return [_row(r) for r in rows]

    def revoke(self, actor: Actor, token_id: int, *, county: str | None = None) -> ApiToken:
        """Revoke a token: it stops working at once (revoking twice keeps the first date).

        Raises:
            NotFound: no such token.
        """
        with self._write(actor, "tokens.revoke") as op:
            op.require(TOKEN_ADMIN, Target("api_token", str(token_id), unit_code=county))
            c = tt.api_tokens.c
            row = op.uow.conn.execute(sa.select(tt.api_tokens).where(c.id == token_id)).first()
            if row is None:
                raise NotFound("api token", token_id, "list them with: cgov tokens list")
            if row.revoked_at is None:
                op.uow.conn.execute(tt.api_tokens.update().where(c.id == token_id).values(
                    revoked_at=op.now))
                op.touch("api_token", token_id)
            row = op.uow.conn.execute(sa.select(tt.api_tokens).where(c.id == token_id)).one()
            return _row(row)

    def authenticate(self, secret: str) -> ApiToken:
        """The token whose secret this is, if it may be used now.

        Raises:
            TokenInvalid: not a token, unknown, revoked or expired (the message says which,
                never echoing the secret).
        """
        try:
            digest = hash_token(secret)
        except ValidationError:
            raise TokenInvalid("the bearer token is malformed: a token looks like cgov_... "
                               "as cgov tokens issue printed it") from None
        with self._gov.store.unit_of_work(write=False) as uow:
            row = uow.conn.execute(sa.select(tt.api_tokens).where(
                tt.api_tokens.c.token_hash == digest)).first()
        if row is None:
            raise TokenInvalid("the bearer token is not known here: issue one with "
                               "cgov tokens issue")
        token = _row(row)
        why = token.usable(self._gov.now())
        if why is not None:
            raise TokenInvalid(f"{why}; ask for a new one (cgov tokens issue)")
        return token


def expect_identity(value: Any) -> Actor:
    """The check of a ``cgov_external_identity`` answer: ``Actor.resident(key)`` or
    ``Actor.staff(key)`` (an external sign-in never becomes a system job)."""
    if not isinstance(value, Actor) or value.kind not in (ActorKind.RESIDENT, ActorKind.STAFF):
        raise TypeError(f"expected Actor.resident(key) or Actor.staff(key), got {value!r}")
    return value
