"""HTTP API hooks: who an external identity (a WeChat openid or unionid) is in the county."""

from __future__ import annotations

from typing import TYPE_CHECKING

from community_governance.markers import hookspec

if TYPE_CHECKING:
    from community_governance.domain.access import Actor


@hookspec
def cgov_external_identity(provider: str, subject: str, county_code: str) -> Actor | None:
    """Map an identity the mini-program signed in with to a resident or a staff member.

    Called by the HTTP API (``POST /api/v1/auth/external``) after the application's back end
    has verified the identity with its provider (for WeChat: ``code2Session`` gave the openid
    and, if bound, the unionid); the API then issues a short-lived token acting as the answer.
    The library keeps no binding of external identities: the county's plugin answers from its
    own (the residents' WeChat bindings of the county's public account, for instance). Asked
    only of the plugins serving the county.

    Args:
        provider: where the identity comes from: ``wechat_openid`` or ``wechat_unionid`` (or a
            name the county's plugin knows).
        subject: the identity given by the provider (an openid is personal data: never log it).
        county_code: the 6-digit code of the county the request is for (its jurisdiction).

    Returns:
        ``Actor.resident(key)`` or ``Actor.staff(key)``, or ``None`` when this plugin does not
        know the identity.

    Stops at first non-None result. The most specific plugin that knows the identity decides;
    when none does, the sign-in is refused (HTTP 401).

    Example::

        #: the county's own table of bound WeChat identities (unionid -> resident key)
        BINDINGS = {"o6_bmjrPTlm6_2sgVt7hMZOPfL2M": "R-0001"}

        @hookimpl
        def cgov_external_identity(provider, subject, county_code):
            if provider == "wechat_unionid" and subject in BINDINGS:
                return Actor.resident(BINDINGS[subject])
            return None
    """
