"""National defaults of the HTTP API: no external identity is known without a county plugin."""

from __future__ import annotations

from community_governance.domain.access import Actor
from community_governance.markers import hookimpl


@hookimpl(trylast=True)
def cgov_external_identity(provider: str, subject: str, county_code: str) -> Actor | None:
    """The library keeps no binding of WeChat (or other) identities: every identity is
    unknown until a county plugin maps it, so a sign-in without one is refused."""
    return None
