"""Fixtures of the Hubin plugin's tests: the test kit's small city, in 湖滨区."""

from __future__ import annotations

from typing import Any

import pytest

from cgov_hubin import plugin


@pytest.fixture
def plugins() -> list[Any]:
    """The plugins the kit's ``gov_with_plugins`` fixture installs."""
    return [plugin]


@pytest.fixture
def county() -> str:
    """The county the kit's ``small_city`` is built in."""
    return "411202"
