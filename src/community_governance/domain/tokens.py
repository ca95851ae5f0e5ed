"""API tokens (接口令牌) of the HTTP API: who a bearer token acts as and what it may touch.

A token is a random secret shown once when it is issued; the store keeps only its SHA-256
digest. Each token is bound to one :class:`~community_governance.domain.access.Actor` (a
resident, a staff member or a system job) and to *scopes*, the areas of the API it may call.
The scopes only narrow: the actor's own rights (the access policy) still decide every call.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import attrs

from community_governance.domain.access import Actor
from community_governance.errors import ValidationError

__all__ = ["SCOPES", "TOKEN_PREFIX", "ApiToken", "check_scopes", "hash_token"]

#: The scopes a token may carry, with what each lets the HTTP API call.
SCOPES: dict[str, str] = {
    "open311": "post Open311 service requests and read them (GeoReport v2)",
    "cases": "report, read, assign, resolve and rate cases (事务)",
    "residents": "register and read residents (居民), masked unless revealed with a reason",
    "volunteers": "record volunteer attendance (志愿服务考勤)",
    "points": "earn, redeem and read points (积分) and redeem supermarket items",
    "appointments": "book, cancel and read appointments (预约办理)",
}

#: Every token starts with this, so that secret scanners recognise a leaked one.
TOKEN_PREFIX = "cgov_"
_TOKEN = re.compile(r"cgov_[A-Za-z0-9_-]{20,100}")


def hash_token(secret: str) -> str:
    """The SHA-256 digest (hex) under which a token's secret is stored.

    Raises:
        ValidationError: the text does not look like a token of this library.
    """
    if not _TOKEN.fullmatch(secret):
        raise ValidationError("a token looks like cgov_ followed by 20-100 letters, digits, "
                              "- or _; check the Authorization header (Bearer cgov_...)",
                              path="token")
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def check_scopes(scopes: object) -> tuple[str, ...]:
    """The scopes, checked and sorted.

    Raises:
        ValidationError: no scope, or one this library does not know.
    """
    if isinstance(scopes, str):
        scopes = scopes.replace(",", " ").split()
    if not isinstance(scopes, list | tuple | set | frozenset):
        raise ValidationError("scopes are a list of names", path="scopes")
    items = sorted({str(s) for s in scopes})
    if not items:
        raise ValidationError(f"a token needs at least one scope, of: {', '.join(SCOPES)}",
                              path="scopes")
    unknown = [s for s in items if s not in SCOPES]
    if unknown:
        raise ValidationError(f"unknown scope(s) {', '.join(unknown)}; the scopes are: "
                              f"{', '.join(SCOPES)}", path="scopes")
    return tuple(items)


@attrs.frozen
class ApiToken:
    """An API token (接口令牌) as stored: never its secret.

    Attributes:
        id: the token's number (to list and revoke it).
        actor: who the token acts as.
        scopes: the areas of the API it may call.
        label: what it is for, e.g. ``WeChat mini-program back end``.
        created_at: when it was issued (UTC).
        expires_at: when it stops working (UTC), if ever.
        revoked_at: when it was revoked (UTC), if it was.
    """

    id: int
    actor: Actor
    scopes: tuple[str, ...]
    label: str
    created_at: dt.datetime
    expires_at: dt.datetime | None = None
    revoked_at: dt.datetime | None = None

    def usable(self, now: dt.datetime) -> str | None:
        """Why the token cannot be used at ``now``, or ``None`` when it can."""
        if self.revoked_at is not None:
            return f"token {self.id} was revoked on {self.revoked_at:%Y-%m-%d}"
        if self.expires_at is not None and now >= self.expires_at:
            return f"token {self.id} expired on {self.expires_at:%Y-%m-%d}"
        return None
