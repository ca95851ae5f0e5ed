"""Masking of personal numbers in free text and in log records (脱敏).

ID numbers (居民身份证号码) and mobile numbers never leave the library in full unless an actor
with the right asked for them: :func:`mask_text` hides anything that looks like an 18-character
(or 15-digit legacy) ID number or an 11-digit mainland mobile number, however it was typed (the
scanner of :mod:`community_governance.domain.pii_text`), and :class:`MaskingFilter` applies it
to every log record of the library's loggers.

:func:`install` attaches the filter to the ``community_governance`` logger and to a hub handler on
it, so records of every child logger (``community_governance.services.registry``...) are masked
before any handler further up (the root logger's, an application's) formats them. It is called
when the services are imported; calling it again does nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from typing import Any

__all__ = ["MaskingFilter", "install", "mask_text"]

LIBRARY_LOGGER = "community_governance"


def mask_text(text: str, *, units: Collection[str] = ()) -> str:
    """Hide ID numbers and mobile numbers inside ``text``.

    The library's one scanner does the work
    (:func:`community_governance.domain.pii_text.mask_personal_numbers`): an 18-character ID
    number keeps its first 4 and last 4 characters (``4112**********0012``), a 15-digit legacy
    one likewise, a mobile number its first 3 and last 4 digits (``139****0001``). Full-width
    digits, separators (spaces, dashes, dots), a ``+86`` prefix and numbers run together are
    recognised.

    Args:
        text: any text: a log message, an error message, a reason typed by a user.
        units: the codes of the units ``text`` is about, known to be unit codes (looked up,
            not typed): left as they are, though a grid code such as ``411202001001001`` has
            the shape of a 15-digit legacy ID number.

    Returns:
        The text with every number that looks personal masked.
    """
    # imported here: errors.py imports this module, and the scanner's module imports errors.py
    from community_governance.domain.pii_text import mask_personal_numbers

    return mask_personal_numbers(text, units=units)


def _mask_value(value: Any) -> Any:
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        text = str(value)
        masked = mask_text(text)
        return masked if masked != text else value
    return value


class MaskingFilter(logging.Filter):
    """A logging filter that masks ID and mobile numbers in a record, in place.

    The message is rendered (``msg % args``) and masked, the arguments dropped; an exception's
    traceback text and the stack text are masked too. The record is never dropped.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Mask ``record``; always keep it."""
        if getattr(record, "_cgov_masked", False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: mask the pieces instead
            message = f"{record.msg} {record.args}"
        record.msg = mask_text(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_text(record.stack_info)
        for key, value in list(record.__dict__.items()):
            if key not in _STANDARD_ATTRS:
                record.__dict__[key] = _mask_value(value)
        record.__dict__["_cgov_masked"] = True
        return True


_STANDARD_ATTRS = frozenset(logging.LogRecord(
    "x", logging.INFO, "x", 0, "x", None, None).__dict__) | {"message", "asctime", "taskName"}


class _MaskingHub(logging.Handler):
    """A handler whose filter masks records on their way up to the root logger's handlers.

    It emits nothing itself, except that, when no other handler would see the record, it hands
    it to :data:`logging.lastResort` (warnings still reach stderr in an unconfigured program).
    """

    def __init__(self, logger: logging.Logger) -> None:
        super().__init__()
        self._logger = logger

    def emit(self, record: logging.LogRecord) -> None:
        """Hand the record to ``logging.lastResort`` when no other handler exists."""
        c: logging.Logger | None = self._logger
        while c is not None:
            if any(h is not self for h in c.handlers):
                return
            if not c.propagate:
                break
            c = c.parent
        last = logging.lastResort
        if last is not None and record.levelno >= last.level:
            last.handle(record)


_FILTER = MaskingFilter()


def install(logger_name: str = LIBRARY_LOGGER) -> MaskingFilter:
    """Install the masking filter on the library's loggers (idempotent).

    The filter goes on ``logger_name`` itself, on every logger below it that exists already,
    and on a hub handler of ``logger_name``, whose filter runs (and masks the record in place)
    for records of any child logger before the root logger's handlers see them.

    Args:
        logger_name: the top logger to protect (the library's by default).

    Returns:
        The filter instance.
    """
    top = logging.getLogger(logger_name)
    if not any(isinstance(h, _MaskingHub) for h in top.handlers):
        hub = _MaskingHub(top)
        hub.addFilter(_FILTER)
        top.addHandler(hub)
    loggers = [top] + [
        lg for name, lg in logging.root.manager.loggerDict.items()
        if isinstance(lg, logging.Logger) and name.startswith(logger_name + ".")
    ]
    for lg in loggers:
        if _FILTER not in lg.filters:
            lg.addFilter(_FILTER)
    return _FILTER
