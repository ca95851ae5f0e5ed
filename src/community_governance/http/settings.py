"""The deployment choices of the HTTP API (pure: no framework imported here)."""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from community_governance.domain.access import Actor, ActorKind
from community_governance.errors import ValidationError

__all__ = ["HttpSettings"]


def _strs(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(str(v) for v in value)


def _reader(value: Actor | None) -> Actor | None:
    if value is not None and value.kind is ActorKind.PUBLIC:
        return None
    return value


@attrs.frozen
class HttpSettings:
    """How the HTTP API (接口服务) is deployed.

    Attributes:
        base_url: the public URL of the server (the Open311 discovery document names it).
        cors_origins: origins allowed to call the API from a browser (``*`` for any); none by
            default (a WeChat mini-program calls from its back end or through ``wx.request``,
            which CORS does not apply to).
        rate_limit_per_minute: requests per minute per bearer token (per client address
            without one); 0 turns the limit off.
        open311_reader: the actor whose scope the public ``GET requests`` reads as (e.g. the
            county's Open311 desk ``Actor.staff("S-OPEN311")``); ``None``: reading service
            requests needs a token with the ``open311`` scope. Requests are masked either way.
        contact: who to ask about the Open311 endpoint (the discovery document).
        zipcode: the postcode written in Open311 requests.
        max_body_bytes: the largest request body accepted (HTTP 413 beyond).
        external_token_hours: how long a token issued for a signed-in external identity
            (``POST /api/v1/auth/external``) works.
    """

    base_url: str = "http://127.0.0.1:8000"
    cors_origins: tuple[str, ...] = attrs.field(default=(), converter=_strs)
    rate_limit_per_minute: int = 600
    open311_reader: Actor | None = attrs.field(default=None, converter=_reader)
    contact: str = ""
    zipcode: str | None = None
    max_body_bytes: int = 1_048_576
    external_token_hours: int = 24

    def __attrs_post_init__(self) -> None:
        if self.rate_limit_per_minute < 0:
            raise ValidationError("rate_limit_per_minute is 0 (no limit) or more",
                                  path="rate_limit_per_minute")
        if self.max_body_bytes < 1024:
            raise ValidationError("max_body_bytes must allow at least 1024 bytes",
                                  path="max_body_bytes")
        if not 1 <= self.external_token_hours <= 24 * 31:
            raise ValidationError("external_token_hours is 1 to 744 (31 days)",
                                  path="external_token_hours")
