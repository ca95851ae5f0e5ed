"""Running the HTTP API under uvicorn (``cgov serve``), with one or several worker processes.

Several workers each open the database themselves: the command passes the database URL and the
settings to them in the environment (``CGOV_DB``, ``CGOV_HTTP_SETTINGS`` as JSON, the data key
as ``CGOV_KEY_FILE`` or ``CGOV_KEY``), and uvicorn calls :func:`app_from_env` in each worker.
The access log names no client address and no query string (personal data stays out of logs).
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from community_governance.domain.access import Actor, ActorKind
from community_governance.errors import ValidationError
from community_governance.http.settings import HttpSettings

__all__ = ["AccessLogFilter", "app_from_env", "log_config", "settings_from_json",
           "settings_to_json"]


class AccessLogFilter(logging.Filter):
    """Blank the client's address and cut the query string from uvicorn's access log lines
    (``'%s - "%s %s HTTP/%s" %d'``: address, method, path, version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5:
            _addr, method, path, version, status = args
            record.args = ("-", method, str(path).split("?", 1)[0], version, status)
        return True


def log_config() -> dict[str, Any]:
    """uvicorn's logging configuration with :class:`AccessLogFilter` on the access log."""
    from uvicorn.config import LOGGING_CONFIG

    config: dict[str, Any] = json.loads(json.dumps(LOGGING_CONFIG))
    config.setdefault("filters", {})["cgov_no_personal_data"] = {
        "()": "community_governance.http.serve.AccessLogFilter"}
    config["handlers"]["access"]["filters"] = ["cgov_no_personal_data"]
    return config


def settings_to_json(settings: HttpSettings) -> str:
    """The settings as JSON for the workers' environment."""
    reader = settings.open311_reader
    return json.dumps({
        "base_url": settings.base_url, "cors_origins": list(settings.cors_origins),
        "rate_limit_per_minute": settings.rate_limit_per_minute,
        "open311_reader": f"{reader.kind.value}:{reader.id}" if reader else None,
        "contact": settings.contact, "zipcode": settings.zipcode,
        "max_body_bytes": settings.max_body_bytes,
        "external_token_hours": settings.external_token_hours})


def settings_from_json(text: str) -> HttpSettings:
    """Settings written by :func:`settings_to_json`.

    Raises:
        ValidationError: not such a document.
    """
    try:
        data = json.loads(text)
        reader = data.pop("open311_reader", None)
        if reader:
            kind, _, ident = str(reader).partition(":")
            data["open311_reader"] = Actor(ActorKind(kind), ident)
        return HttpSettings(**data)
    except (ValueError, TypeError) as exc:
        raise ValidationError(f"CGOV_HTTP_SETTINGS is not usable: {exc}",
                              path="CGOV_HTTP_SETTINGS") from None


def app_from_env() -> Any:
    """The application of one worker: the database of ``CGOV_DB``, the settings of
    ``CGOV_HTTP_SETTINGS`` (uvicorn's ``factory``)."""
    import community_governance
    from community_governance.http import create_app
    from community_governance.services.crypto import read_key_file

    url = os.environ["CGOV_DB"]
    key_file = os.environ.get("CGOV_KEY_FILE")
    key = read_key_file(Path(key_file)) if key_file else os.environ.get("CGOV_KEY")
    gov = community_governance.open(url, data_key=key, create=False)
    return create_app(gov, settings_from_json(os.environ.get("CGOV_HTTP_SETTINGS", "{}")))
