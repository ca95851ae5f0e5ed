"""The HTTP API (接口服务): Open311 GeoReport v2, the service guide, public disclosures and the
authenticated everyday operations, as one ASGI application (Litestar).

Install the extra first: ``pip install 'community-governance[http]'``. Serve a database with
``cgov serve --db URL``, or embed the application::

    import community_governance
    from community_governance.http import HttpSettings, create_app

    gov = community_governance.open("sqlite:///county.db")
    app = create_app(gov, HttpSettings(cors_origins=("https://servicewechat.com",)))
    # uvicorn.run(app), or mount it in another ASGI application

See docs/http.md for the routes and docs/deployment.md for running it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from community_governance.errors import require_extra
from community_governance.http.settings import HttpSettings

if TYPE_CHECKING:
    from community_governance.facade import Governance

__all__ = ["HttpSettings", "create_app"]


def create_app(gov: Governance, settings: HttpSettings | None = None) -> Any:
    """The ASGI application (a ``litestar.Litestar``) serving ``gov``.

    Args:
        gov: the county (or counties: every county whose plugin is installed) to serve.
        settings: CORS, rate limit, the Open311 reader and other deployment choices.

    Raises:
        MissingExtra: Litestar is not installed (``pip install 'community-governance[http]'``).
    """
    require_extra("litestar", "http", "the HTTP API")
    from community_governance.http.app import build_app

    return build_app(gov, settings or HttpSettings())
