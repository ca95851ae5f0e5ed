"""A helper for table tests that pin a refusal's whole message (and its ``path``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


def refused(exc: type[BaseException], message: str, fn: Callable[..., Any], *args: Any,
            **kwargs: Any) -> BaseException:
    """Call ``fn`` and check it raises ``exc`` whose ``str`` is exactly ``message``."""
    with pytest.raises(exc) as info:
        fn(*args, **kwargs)
    got = str(info.value)
    assert got == message, f"\n got: {got!r}\nwant: {message!r}"
    return info.value
