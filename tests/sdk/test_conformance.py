"""The conformance check catches plugins that raise or answer nonsense."""

from __future__ import annotations

from typing import Any

import community_governance as cg
from community_governance.testing.conformance import check_plugin


class Good:
    @cg.hookimpl
    def cgov_validate_resident(self, resident: Any) -> Any:
        return [] if resident.phone else ["needs a phone"]


class Raises:
    @cg.hookimpl
    def cgov_validate_resident(self, resident: Any) -> Any:
        if resident.birth_date.year < 1960:
            raise KeyError("age table")
        return None


class Nonsense:
    @cg.hookimpl
    def cgov_validate_resident(self, resident: Any) -> Any:
        return "fine"


def test_accepts_a_conforming_plugin() -> None:
    """Reports no problem for a plugin that answers well."""
    assert [] == check_plugin(Good())


def test_reports_a_plugin_that_raises_for_some_inputs() -> None:
    """Finds the inputs on which the plugin raises, and names plugin and hook."""
    problems = check_plugin(Raises(), examples=100)
    assert 1 == len(problems)
    assert "cgov_validate_resident" in problems[0] and "Raises" in problems[0]


def test_reports_a_plugin_that_answers_the_wrong_type() -> None:
    """Reports an answer of the wrong type."""
    problems = check_plugin(Nonsense())
    assert 1 == len(problems) and "answered 'fine'" in problems[0]
