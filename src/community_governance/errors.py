"""The exception hierarchy of community-governance.

Every error the library raises on purpose derives from :class:`CgovError`. Each class also
derives from the builtin exception that matches its meaning (``ValueError``, ``LookupError``,
``PermissionError``...), so callers that catch builtins keep working. Messages name the thing,
the rule it broke and how to fix it; structured fields carry the same facts for programs.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import attrs

from community_governance.masking import mask_text

__all__ = [
    "EXIT_CODES",
    "CalendarYearMissing",
    "CgovError",
    "ConflictError",
    "DataKeyError",
    "DatabaseMissing",
    "FileImportError",
    "IdNumberError",
    "IdempotencyConflict",
    "InsufficientBalance",
    "InvalidTransition",
    "MissingExtra",
    "NoData",
    "NotFound",
    "OutOfStock",
    "PermissionDenied",
    "PluginError",
    "RowError",
    "SchemaVersionError",
    "StorageError",
    "TokenInvalid",
    "UnbalancedTransaction",
    "ValidationError",
    "exit_code",
]


class CgovError(Exception):
    """Root of every error raised by community-governance on purpose.

    Text arguments are masked (:func:`community_governance.masking.mask_text`): an error
    message never carries a full ID or mobile number, whoever raises it. ``units``: the codes
    of stored units the message is about, shown as they are (a grid code may have the shape of
    a legacy ID number); give only codes looked up in the store, never codes as typed.
    """

    def __init__(self, *args: object, units: Collection[str] = ()) -> None:
        super().__init__(*(mask_text(a, units=units) if isinstance(a, str) else a
                           for a in args))


class ValidationError(CgovError, ValueError):
    """Input broke a rule of the domain.

    Attributes:
        path: where in the input the bad value sits, e.g. ``$.residents[3].id_number``.
    """

    def __init__(self, message: str, *, path: str | None = None,
                 units: Collection[str] = ()) -> None:
        self.path = path
        self.reason = mask_text(message, units=units)
        super().__init__(f"{message} @ {path}" if path else message, units=units)


class IdNumberError(ValidationError):
    """A resident identity number (居民身份证号码) is not valid."""


class NotFound(CgovError, LookupError):
    """A record named by the caller does not exist (or is outside the caller's scope)."""

    def __init__(self, kind: str, key: object, hint: str = "") -> None:
        self.kind = kind
        self.key = key
        msg = f"{kind} {key!r} does not exist"
        super().__init__(f"{msg}; {hint}" if hint else msg)


class NoData(NotFound):
    """A report was asked for a year with no data (rather than print an empty report).

    Attributes:
        what: what is counted, e.g. ``cases``.
        year: the year asked for (``None``: any year).
        known: the years that have data.
    """

    def __init__(self, what: str, year: int | None, known: Sequence[int]) -> None:
        self.what = what
        self.kind = f"{what} in a year"
        self.key = year
        self.year = year
        self.known = tuple(known)
        if year is None:
            msg = (f"no {what} are recorded (that this actor may read): there is nothing to "
                   "report; check --db, name a reader with --as, or record some first")
        else:
            have = ", ".join(map(str, self.known)) or "none"
            msg = (f"no {what} in {year}: nothing to report; years with {what}: {have} "
                   "(choose one with --year)")
        CgovError.__init__(self, msg)


class ConflictError(CgovError, ValueError):
    """A write would contradict what is already stored (a duplicate code, an overlap...)."""


class IdempotencyConflict(ConflictError):
    """An idempotency key was reused for a different request."""


class InvalidTransition(CgovError, ValueError):
    """A lifecycle transition that the state machine does not allow."""


class InsufficientBalance(CgovError, ValueError):
    """A points or money balance would go negative."""


class OutOfStock(CgovError, ValueError):
    """A supermarket item has too little stock for the request."""


class UnbalancedTransaction(ValidationError):
    """A double-entry transaction whose debits and credits differ."""


class PermissionDenied(CgovError, PermissionError):
    """The actor may not perform the action on the target.

    Attributes:
        actor: a masked, printable description of who acted.
        action: the action asked for.
        target: the object acted on.
        reason: why the policy refused, and what would grant the right.
    """

    def __init__(self, actor: str, action: str, target: str, reason: str = "") -> None:
        self.actor = actor
        self.action = action
        self.target = target
        self.reason = reason
        self.recorded = False  # set once the refusal log has it (services.denials)
        msg = f"{actor} may not {action} {target}"
        super().__init__(f"{msg}: {reason}" if reason else msg)


class PluginError(CgovError, RuntimeError):
    """A plugin raised, or answered a hook with a value the library cannot use.

    Nothing is written when this is raised.

    Attributes:
        plugin: the plugin's name.
        hook: the hook's name.
        value: what the plugin returned (``None`` when it raised).
    """

    def __init__(self, plugin: str, hook: str, problem: str, value: Any = None) -> None:
        self.plugin = plugin
        self.hook = hook
        self.value = value
        self.problem = problem
        super().__init__(f"plugin {plugin!r} broke hook {hook}: {problem}")


class TokenInvalid(CgovError, PermissionError):
    """A bearer token of the HTTP API is malformed, unknown, revoked or expired (HTTP 401)."""


class StorageError(CgovError, RuntimeError):
    """The storage backend failed or is not usable as configured."""


class SchemaVersionError(StorageError):
    """The database schema is older or newer than this version of the library."""


class DatabaseMissing(StorageError):
    """A database named by the caller does not exist (only ``cgov db init`` creates one).

    Attributes:
        path: the file that was looked for.
    """

    def __init__(self, url: str, path: str) -> None:
        self.url = url
        self.path = path
        super().__init__(
            f"no database at {path} (from {url}): nothing was opened or created; check the "
            f"path, or create the database with: cgov db init {url}"
        )


class DataKeyError(StorageError):
    """A sealed database was opened without its data key, or with another key.

    Attributes:
        expected: the fingerprint of the key that seals the database.
        got: the fingerprint of the key given (``None`` when no key was given).
    """

    def __init__(self, message: str, *, expected: str, got: str | None) -> None:
        self.expected = expected
        self.got = got
        super().__init__(message)


class MissingExtra(CgovError, ImportError):
    """An optional dependency is needed and not installed; the message names the extra.

    Attributes:
        module: the module that could not be imported (e.g. ``polars``).
        extra: the extra that installs it (e.g. ``sim``).
        purpose: what needed it.
    """

    def __init__(self, module: str, extra: str, purpose: str = "") -> None:
        self.module = module
        self.extra = extra
        self.purpose = purpose
        need = f"{purpose} needs {module}" if purpose else f"{module} is needed"
        super().__init__(
            f"{need}, which is not installed; install the extra: "
            f"pip install 'community-governance[{extra}]'")
        self.name = module  # ImportError's own attribute


def require_extra(module: str, extra: str = "sim", purpose: str = "") -> None:
    """Import ``module`` once, or raise :class:`MissingExtra` naming ``extra``.

    Call it just before a function-level ``import`` of an optional dependency, so that the
    base install imports and runs without it and a missing one is explained.
    """
    import importlib

    try:
        importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtra(module, extra, purpose) from exc


class CalendarYearMissing(CgovError, LookupError):
    """No official working-day arrangement is known for a year.

    Attributes:
        year: the year asked for.
    """

    def __init__(self, year: int) -> None:
        self.year = year
        super().__init__(
            f"no official holiday arrangement (节假日安排) is known for {year}; add it as a year "
            f"file (calendars/data/{year}.toml) once the State Council notice appears, or "
            "answer the cgov_working_day_calendar hook from a county plugin"
        )


@attrs.frozen
class RowError:
    """One bad row of an imported file.

    Attributes:
        row: 1-based row number as a spreadsheet shows it (the header is row 1).
        column: the column's header, or ``None`` when the whole row is at fault.
        reason: what is wrong and how to fix it.
    """

    row: int
    column: str | None
    reason: str

    def __str__(self) -> str:
        where = f"row {self.row}" + (f", column {self.column!r}" if self.column else "")
        return f"{where}: {self.reason}"


class FileImportError(ValidationError):
    """An import file has bad rows; nothing was written.

    Attributes:
        file: the file's name.
        errors: every bad row, in file order.
    """

    def __init__(self, file: str, errors: Sequence[RowError]) -> None:
        self.file = file
        self.errors = tuple(errors)
        lines = "\n".join(f"  {e}" for e in self.errors[:50])
        more = f"\n  ... and {len(self.errors) - 50} more" if len(self.errors) > 50 else ""
        super().__init__(
            f"{file}: {len(self.errors)} bad row(s), nothing was imported:\n{lines}{more}"
        )


#: The exit status of the ``cgov`` command for each kind of error, most specific first
#: (the first class an error is an instance of gives the status). 0 is success, 1 a failure
#: not listed here (or a job where some items failed, or a check that found problems) and 2 a
#: usage error found by the command line itself (click). docs/cli.md lists the same table.
EXIT_CODES: tuple[tuple[type[CgovError], int, str], ...] = (
    (DatabaseMissing, 3, "not found: the database file does not exist"),
    (NotFound, 3, "not found: a unit, resident, case, year... named does not exist"),
    (CalendarYearMissing, 3, "not found: no calendar is known for a year"),
    (PermissionDenied, 4, "permission denied: the actor may not do this"),
    (TokenInvalid, 4, "permission denied: an API token is unknown, revoked or expired"),
    (ValidationError, 5, "validation error: the input breaks a rule"),
    (ConflictError, 6, "conflict: the request contradicts what is stored"),
    (InvalidTransition, 6, "conflict: the record's state does not allow this step"),
    (InsufficientBalance, 6, "conflict: the balance is too low"),
    (OutOfStock, 6, "conflict: the stock is too low"),
    (DataKeyError, 7, "database unusable: the data key is missing or wrong"),
    (StorageError, 7, "database unusable: cannot connect, wrong schema, missing file..."),
    (PluginError, 8, "plugin error: a plugin raised or answered wrongly"),
    (MissingExtra, 9, "missing extra: an optional dependency is not installed (the message "
                      "names the extra to install)"),
    (CgovError, 1, "any other error of the library"),
)


def exit_code(exc: BaseException) -> int:
    """The ``cgov`` exit status for ``exc`` (see :data:`EXIT_CODES`; 1 for anything else)."""
    for cls, code, _meaning in EXIT_CODES:
        if isinstance(exc, cls):
            return code
    return 1
