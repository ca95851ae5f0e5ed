"""Fixtures of the purchase-of-services tests: the organizations' world (a small city in Yima
or in 湖滨区, on a store whose clock the test sets)."""

from __future__ import annotations

from tests.orgs.conftest import world  # noqa: F401  (the fixture, reused)
