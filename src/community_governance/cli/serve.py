"""``cgov serve``: the HTTP API (Open311, the service guide, disclosures, the everyday
operations) under uvicorn. Needs the ``http`` extra."""

from __future__ import annotations

import click

from community_governance.cli import db_option, echo_json, json_option, parse_actor


def register(cli: click.Group) -> None:
    """Add the ``serve`` command."""

    @cli.command()
    @db_option
    @click.option("--host", default="127.0.0.1", show_default=True,
                  help="address to listen on (keep 127.0.0.1 behind a reverse proxy)")
    @click.option("--port", default=8000, show_default=True, type=int)
    @click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
                  help="worker processes (use PostgreSQL for more than one writer)")
    @click.option("--base-url", default=None,
                  help="public URL of the server (default: http://HOST:PORT)")
    @click.option("--cors-origin", "cors", multiple=True,
                  help="an origin allowed to call from a browser (repeat; * for any)")
    @click.option("--rate-limit", default=600, show_default=True, type=click.IntRange(0),
                  help="requests per minute per token (0: no limit)")
    @click.option("--open311-reader", default=None,
                  help="actor the public GET requests reads as (e.g. staff:S0001); "
                       "default: reading requests needs a token")
    @click.option("--zipcode", default=None, help="the postcode written in Open311 requests")
    @click.option("--contact", default="", help="who to ask about the Open311 endpoint")
    @json_option
    def serve(db: str, host: str, port: int, workers: int, base_url: str | None,
              cors: tuple[str, ...], rate_limit: int, open311_reader: str | None,
              zipcode: str | None, contact: str, as_json: bool) -> None:
        """Serve the database over HTTP: Open311 GeoReport v2 at /open311/v2, public pages at
        /public, the authenticated API at /api/v1, the OpenAPI document at
        /schema/openapi.json."""
        import os

        from community_governance.cli import given_key_file, open_db, require_database
        from community_governance.errors import require_extra
        from community_governance.http.settings import HttpSettings

        require_extra("litestar", "http", "cgov serve")
        require_extra("uvicorn", "http", "cgov serve")
        import uvicorn

        from community_governance.http import create_app
        from community_governance.http.serve import log_config, settings_to_json

        settings = HttpSettings(
            base_url=base_url or f"http://{host}:{port}", cors_origins=cors,
            rate_limit_per_minute=rate_limit,
            open311_reader=parse_actor(open311_reader) if open311_reader else None,
            zipcode=zipcode, contact=contact)
        if as_json:  # where the server listens, for the program that started it
            echo_json({"url": f"http://{host}:{port}", "base_url": settings.base_url,
                       "workers": workers, "openapi": "/schema/openapi.json"})
        click.echo(f"serving on http://{host}:{port} ({workers} worker(s)); OpenAPI at "
                   f"/schema/openapi.json", err=True)
        if workers == 1:
            with open_db(db) as gov:
                uvicorn.run(create_app(gov, settings), host=host, port=port,
                            log_config=log_config())
            return
        require_database(db)
        os.environ["CGOV_DB"] = db
        os.environ["CGOV_HTTP_SETTINGS"] = settings_to_json(settings)
        key_file = given_key_file()
        if key_file is not None:
            os.environ["CGOV_KEY_FILE"] = str(key_file)
        uvicorn.run("community_governance.http.serve:app_from_env", factory=True, host=host,
                    port=port, workers=workers, log_config=log_config())
