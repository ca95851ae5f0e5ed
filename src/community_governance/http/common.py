"""What every route of the HTTP API shares: the county, problem documents (RFC 9457), bearer
authentication with scopes, idempotency keys and request bodies read with the library's
converter."""

from __future__ import annotations

import collections
import enum
import functools
import hashlib
import json
import logging
import threading
import time
import types
import typing
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import anyio.to_thread
import cattrs
import sqlalchemy as sa
from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.serialization import encode_json

from community_governance.domain.access import Actor
from community_governance.domain.tokens import ApiToken
from community_governance.errors import (
    CgovError,
    ConflictError,
    InsufficientBalance,
    InvalidTransition,
    MissingExtra,
    NotFound,
    OutOfStock,
    PermissionDenied,
    PluginError,
    StorageError,
    TokenInvalid,
    ValidationError,
)
from community_governance.masking import mask_text
from community_governance.serialization import configure_converter, to_jsonable
from community_governance.services import denials
from community_governance.services.httpstate import IdempotencyService, fingerprint

if TYPE_CHECKING:
    from community_governance.facade import Governance
    from community_governance.http.settings import HttpSettings

__all__ = ["PROBLEM_JSON", "ReadCache", "authenticate", "blocking", "body", "cached",
           "county_of", "gov_of",
           "idempotency_key", "idempotent", "json_response", "parse_json", "problem_of",
           "require", "settings_of", "status_of"]

log = logging.getLogger(__name__)
T = TypeVar("T")

PROBLEM_JSON = "application/problem+json"
#: The problem type URIs name the library's error classes.
_TYPE_BASE = "https://community-governance.readthedocs.io/problems/"

#: HTTP status of each kind of library error, most specific first.
STATUS: tuple[tuple[type[BaseException], int], ...] = (
    (TokenInvalid, 401),
    (PermissionDenied, 403),
    (NotFound, 404),
    (ConflictError, 409),
    (InvalidTransition, 409),
    (InsufficientBalance, 409),
    (OutOfStock, 409),
    (ValidationError, 422),
    (MissingExtra, 501),
    (PluginError, 500),
    (StorageError, 503),
    (CgovError, 400),
)

def _text_union(t: Any) -> bool:
    """``X | str`` where X is an enum (the services take either, e.g. ``Relation | str``)."""
    args = typing.get_args(t)
    return (typing.get_origin(t) in (typing.Union, types.UnionType) and str in args
            and all(a is str or a is type(None) or (isinstance(a, type) and issubclass(
                a, enum.Enum)) for a in args))


def _text(value: Any, t: Any) -> Any:
    if value is None and type(None) in typing.get_args(t):
        return None
    if not isinstance(value, str):
        raise ValueError(f"expected text, got {type(value).__name__}")
    return value


#: The converter of request bodies: the library's types, and unknown fields refused.
_CONVERTER = configure_converter(cattrs.Converter(forbid_extra_keys=True))
_CONVERTER.register_structure_hook_func(_text_union, _text)


class ReadCache:
    """What read requests reuse while the store is unchanged: authenticated tokens and the
    answers of public and Open311 read routes.

    Every write of the library writes an audit row (``audit_log``), so the newest audit id
    (the *stamp*, one indexed look-up per request) changes whenever anything a read shows
    may have changed, including a token's revocation. A token or an answer is reused only
    under the stamp it was taken at, and an answer for at most :attr:`max_age` seconds (the
    Open311 default window and the day of a board move with the clock; on PostgreSQL two
    writers may commit their audit rows out of id order). A token's expiry is checked on
    every use.
    """

    def __init__(self, gov: Governance, *, size: int = 512, max_age: float = 10.0) -> None:
        self._gov = gov
        self._lock = threading.Lock()
        self._tokens: dict[str, tuple[int, ApiToken]] = {}
        self._answers: collections.OrderedDict[tuple[Any, ...], tuple[int, float, Any]] = (
            collections.OrderedDict())
        self.size = size
        self.max_age = max_age
        self._has_audit = getattr(gov.store, "engine", None) is not None

    def stamp(self) -> int:
        """The newest audit id (-1 when the store cannot say: then nothing is reused)."""
        if not self._has_audit:
            return -1
        with self._gov.store.unit_of_work(write=False) as uow:
            got = uow.conn.execute(_STAMP).scalar()
        return int(got or 0)

    def token(self, digest: str, stamp: int) -> ApiToken | None:
        """The token authenticated under ``stamp``, if any."""
        got = self._tokens.get(digest)
        return got[1] if got is not None and got[0] == stamp >= 0 else None

    def keep_token(self, digest: str, stamp: int, token: ApiToken) -> None:
        """Reuse ``token`` while the stamp holds."""
        if stamp >= 0:
            with self._lock:
                if len(self._tokens) >= self.size:
                    self._tokens.clear()
                self._tokens[digest] = (stamp, token)

    def answer(self, key: tuple[Any, ...], stamp: int) -> Any:
        """The answer kept for ``key`` under ``stamp`` and younger than :attr:`max_age`."""
        got = self._answers.get(key)
        if got is None or got[0] != stamp or stamp < 0 or \
                time.monotonic() - got[1] > self.max_age:
            return None
        return got[2]

    def keep_answer(self, key: tuple[Any, ...], stamp: int, value: Any) -> None:
        """Keep an answer (the least recently kept go first)."""
        if stamp >= 0:
            with self._lock:
                self._answers[key] = (stamp, time.monotonic(), value)
                self._answers.move_to_end(key)
                while len(self._answers) > self.size:
                    self._answers.popitem(last=False)


_STAMP = sa.text("SELECT max(id) FROM audit_log")


def _stamp(request: Request[Any, Any, Any]) -> int:
    """The store's stamp, read once per request."""
    state = request.scope.setdefault("state", {})
    if "cgov_stamp" not in state:
        state["cgov_stamp"] = request.app.state["read_cache"].stamp()
    return int(state["cgov_stamp"])


def cached(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Like :func:`blocking`, for a read route whose answer depends only on its path, its
    query and (under ``/open311``) the caller's token: the answer is kept in the
    :class:`ReadCache` and given again while the store is unchanged. A bearer token is
    checked first, every time (a revoked or expired one is refused even for a kept
    answer)."""

    def run(*args: Any, **kwargs: Any) -> Any:
        request: Request[Any, Any, Any] = kwargs["request"]
        cache: ReadCache = request.app.state["read_cache"]
        token = (authenticate(request) if request.headers.get("authorization")
                 and request.scope["path"].startswith("/open311/") else None)
        key = (request.scope["path"], request.scope.get("query_string", b""),
               token.id if token is not None else None)
        stamp = _stamp(request)
        got = cache.answer(key, stamp)
        if got is not None:
            status, content, media = got
            return Response(content=content, status_code=status, media_type=media)
        answer: Response[Any] = fn(*args, **kwargs)
        content = answer.content
        if not isinstance(content, bytes | str):
            content = encode_json(content)
        media = str(answer.media_type.value if isinstance(answer.media_type, enum.Enum)
                    else answer.media_type)
        status = answer.status_code or 200  # None: the route's default, 200 for a GET
        if status == 200 and not answer.headers:
            cache.keep_answer(key, stamp, (status, content, media))
        return Response(content=content, status_code=status, media_type=media,
                        headers=dict(answer.headers))

    functools.update_wrapper(run, fn)
    return blocking(run)


def blocking(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` (which calls the services: blocking I/O) as a coroutine run in a worker thread,
    with ``fn``'s signature for the framework."""

    @functools.wraps(fn)
    async def run(*args: Any, **kwargs: Any) -> Any:
        return await anyio.to_thread.run_sync(functools.partial(fn, *args, **kwargs))

    return run


def gov_of(request: Request[Any, Any, Any]) -> Governance:
    """The façade the application serves."""
    return request.app.state["gov"]  # type: ignore[no-any-return]


def settings_of(request: Request[Any, Any, Any]) -> HttpSettings:
    """The deployment settings of the application."""
    return request.app.state["settings"]  # type: ignore[no-any-return]


def status_of(exc: BaseException) -> int:
    """The HTTP status of an error of the library (or of the framework)."""
    if isinstance(exc, HTTPException):
        return int(exc.status_code)
    for cls, code in STATUS:
        if isinstance(exc, cls):
            return code
    return 500


def problem_of(exc: BaseException, instance: str) -> dict[str, Any]:
    """An RFC 9457 problem document for ``exc`` carrying the library's message (masked)."""
    status = status_of(exc)
    doc: dict[str, Any] = {"status": status, "instance": instance}
    if isinstance(exc, HTTPException):
        doc["type"] = "about:blank"
        doc["title"] = exc.detail if status != 500 else "Internal Server Error"
        doc["detail"] = mask_text(str(exc.detail))
        extra = getattr(exc, "extra", None)
        if extra:
            doc["errors"] = to_jsonable(extra) if not isinstance(extra, str) else [extra]
        if status == 400 and isinstance(exc.detail, str) and exc.detail.startswith(
                "Validation failed"):
            doc["title"] = "Bad request"
        return doc
    if isinstance(exc, CgovError):
        doc["type"] = _TYPE_BASE + type(exc).__name__
        doc["title"] = type(exc).__name__
        doc["detail"] = mask_text(str(exc))
        path = getattr(exc, "path", None)
        if path:
            doc["field"] = path
        return doc
    doc.update(type="about:blank", title="Internal Server Error",
               detail="the server failed on this request; it was logged")
    return doc


def json_response(data: Any, status: int = 200) -> Response[Any]:
    """``data`` (attrs objects, Decimals, dates... as the library's converter writes them)."""
    return Response(content=to_jsonable(data), status_code=status, media_type="application/json")


def county_of(request: Request[Any, Any, Any], jurisdiction_id: str | None) -> str | None:
    """The county a request is for: its ``jurisdiction_id``, or the only county served.

    Raises:
        NotFound: a jurisdiction this server does not serve.
        ValidationError: several counties are served and none was named.
    """
    counties: tuple[str, ...] = request.app.state["counties"]
    if jurisdiction_id:
        if jurisdiction_id in counties or (not counties and jurisdiction_id.isdigit()):
            return jurisdiction_id
        raise NotFound("jurisdiction", jurisdiction_id,
                       f"this server serves: {', '.join(counties) or 'one county'}")
    if len(counties) > 1:
        raise ValidationError(
            f"this server serves several counties ({', '.join(counties)}): name one with "
            "jurisdiction_id", path="jurisdiction_id")
    return counties[0] if counties else None


def _deny(gov: Governance, actor: Actor, operation: str, what: str, reason: str) -> None:
    denials.record(gov, [denials.Denial.of(actor, operation, what, "http", reason)], gov.now())


def authenticate(request: Request[Any, Any, Any]) -> ApiToken | None:
    """The token of the ``Authorization: Bearer`` header (``None`` without the header).

    Raises:
        TokenInvalid: a header that is not a usable token (the refusal is logged).
    """
    header = request.headers.get("authorization")
    if not header:
        return None
    state = request.scope.setdefault("state", {})
    if "cgov_token" in state:
        return state["cgov_token"]  # type: ignore[no-any-return]
    scheme, _, secret = header.strip().partition(" ")
    gov = gov_of(request)
    try:
        if scheme.lower() != "bearer" or not secret.strip():
            raise TokenInvalid("the Authorization header must be 'Bearer cgov_...'")
        if request.method != "GET":  # a write changes the stamp anyway: one look-up
            direct = gov.tokens.authenticate(secret.strip())
            state["cgov_token"] = direct
            return direct
        cache: ReadCache = request.app.state["read_cache"]
        digest = hashlib.sha256(secret.strip().encode()).hexdigest()
        stamp = _stamp(request)
        token = cache.token(digest, stamp)
        if token is None:
            token = gov.tokens.authenticate(secret.strip())
            cache.keep_token(digest, stamp, token)
        else:
            why = token.usable(gov.now())
            if why is not None:
                raise TokenInvalid(f"{why}; ask for a new one (cgov tokens issue)")
        state["cgov_token"] = token
        return token
    except TokenInvalid as exc:
        _deny(gov, Actor.public(), f"http {request.method} {request.scope['path']}"[:80],
              "http.authenticate", str(exc))
        raise


def require(request: Request[Any, Any, Any], scope: str, *,
            token: ApiToken | None = None) -> Actor:
    """The actor of the request's token, which must carry ``scope``.

    Raises:
        TokenInvalid: no token, or an unusable one (HTTP 401).
        PermissionDenied: the token lacks the scope (HTTP 403); logged like every refusal.
    """
    token = token or authenticate(request)
    gov = gov_of(request)
    operation = f"http {request.method} {request.scope['path']}"[:80]
    if token is None:
        _deny(gov, Actor.public(), operation, f"http.{scope}", "no bearer token")
        raise TokenInvalid(f"this route needs a bearer token with the {scope!r} scope: "
                           "send Authorization: Bearer cgov_... (cgov tokens issue)")
    if scope not in token.scopes:
        reason = (f"token {token.id} has the scopes {', '.join(token.scopes)}, not {scope!r}; "
                  f"issue one with --scope {scope}")
        exc = PermissionDenied(str(token.actor), f"call {operation}", f"scope {scope}", reason)
        exc.recorded = True
        _deny(gov, token.actor, operation, f"http.{scope}", reason)
        raise exc
    return token.actor


def idempotency_key(request: Request[Any, Any, Any]) -> str:
    """The ``Idempotency-Key`` header, which a ledger write needs.

    Raises:
        ValidationError: the header is missing or empty.
    """
    key = (request.headers.get("idempotency-key") or "").strip()
    if not key:
        raise ValidationError("this write needs an Idempotency-Key header (a fresh random "
                              "value per intended write, e.g. a UUID; a retry sends the same)",
                              path="header.Idempotency-Key")
    return key


def idempotent(request: Request[Any, Any, Any], actor: Actor, data: Any,
               run: Callable[[], Any], status: int,
               resident_of: Callable[[Any], str | None] | None = None) -> Response[Any]:
    """Answer ``run()`` (a write) under the request's ``Idempotency-Key`` header, if any.

    With a key, the first request reserves it in the database; its answer is kept, and a
    retry with the same key and the same method, path and body gets that answer again
    (``Idempotent-Replayed: true``) without ``run`` being called. The same key with another
    request, or while the first still runs, is a 409 problem. A failing ``run`` frees the key.
    ``resident_of(result)`` names the resident the answer is about (erased with them).
    Without the header, ``run`` is simply called.
    """
    key = request.headers.get("idempotency-key")
    if key is None:
        return json_response(run(), status)
    store: IdempotencyService = request.app.state["idempotency"]
    principal = f"{actor.kind.value}:{actor.id}"
    replay = store.begin(principal, key, fingerprint(request.method, request.scope["path"],
                                                     data))
    if replay is not None:
        return Response(content=replay.body, status_code=replay.status,
                        media_type="application/json", headers={"Idempotent-Replayed": "true"})
    try:
        result = run()
    except BaseException:
        store.release(principal, key)
        raise
    content = to_jsonable(result)
    rid = resident_of(result) if resident_of is not None else None
    if rid is None and actor.kind.value == "resident":
        rid = actor.id
    store.finish(principal, key, status, content, resident_id=rid)
    return Response(content=content, status_code=status, media_type="application/json")


def body(data: Any, cls: type[T]) -> T:
    """A request body as ``cls`` through the library's converter (unknown fields refused).

    Raises:
        ValidationError: the body is not a JSON object, or does not fit (every problem with
            its path).
    """
    if not isinstance(data, Mapping):
        raise ValidationError(f"the body must be a JSON object ({cls.__name__})", path="$")
    try:
        return _CONVERTER.structure(dict(data), cls)
    except (cattrs.BaseValidationError, ValueError, TypeError) as exc:
        if isinstance(exc, CgovError):
            raise
        if isinstance(exc, cattrs.BaseValidationError):
            problems = cattrs.transform_error(exc, path="$")
        else:
            problems = [str(exc)]
        raise ValidationError("; ".join(problems), path="$") from None


def parse_json(raw: bytes) -> Any:
    """A JSON body, or a ValidationError naming the position of the fault."""
    try:
        return json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationError(f"the body is not JSON: {exc}", path="$") from None
