"""Plugin conformance: call every hook a plugin implements with generated inputs and check
every answer exactly as the services do.

Use it in a county plugin's tests::

    from community_governance.testing.conformance import check_plugin
    import my_county.plugin

    def test_plugin_conforms():
        assert [] == check_plugin(my_county.plugin, counties=["411202"])

The generated places are mostly in ``counties`` (default: the plugin's own scope,
``cgov_plugin_scope()``, else 411281), sometimes in another county, where a county's plugin
must pass. From the shell: ``cgov plugins check my_county.plugin --county 411202``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from community_governance.errors import PluginError
from community_governance.plugins import Hooks, get_plugin_manager

__all__ = ["HOOK_CONTRACTS", "HookContract", "check_plugin"]

KwargsStrategy = st.SearchStrategy[dict[str, Any]]


class HookContract:
    """How to call a hook (a strategy of keyword arguments) and how to check its answer.

    Args:
        kwargs: a strategy drawing the hook's keyword arguments.
        check: the check the services apply to an answer (raises TypeError/ValueError).
    """

    def __init__(self, kwargs: KwargsStrategy, check: Callable[[Any], Any]) -> None:
        self.kwargs = kwargs
        self.check = check


def _expect_scope(value: Any) -> list[str]:
    """A scope: a non-empty list of unit-code prefixes (as ``Hooks`` checks at ``open()``)."""
    from community_governance.domain.units import validate_scope_prefix

    if isinstance(value, str) or not isinstance(value, list | tuple) or not value:
        raise TypeError("expected a non-empty list of unit-code prefixes, or None")
    return [validate_scope_prefix(v) for v in value]


def _core_contracts() -> dict[str, HookContract]:
    from community_governance.domain.idnumber import parse_id_number
    from community_governance.domain.people import Relation, Resident
    from community_governance.plugins import accept_any, expect_bool, expect_str_list
    from community_governance.testing import strategies as cst

    def resident(number: str, phone: str | None) -> Resident:
        return Resident("R1", "张三", parse_id_number(number, today=dt.date(2026, 1, 1)), "H1",
                        Relation.HEAD, phone)

    from community_governance.testing.contracts_more import _county

    residents = st.builds(resident, _county().flatmap(lambda c: cst.id_numbers(county=c))
                          | cst.id_numbers(), st.none() | cst.phones())
    return {
        "cgov_validate_resident": HookContract(
            st.fixed_dictionaries({"resident": residents, "today": cst.birth_dates(2020),
                                   "community_code": st.none() | cst.community_codes()}),
            expect_str_list),
        "cgov_plugin_scope": HookContract(st.just({}), _expect_scope),
        "cgov_notify": HookContract(
            st.fixed_dictionaries({"event": st.sampled_from(["case.escalated", "points.earned"]),
                                   "payload": st.just({"id": "X1"})}), accept_any),
        "cgov_narrow_permission": HookContract(st.nothing(), expect_bool),
    }


#: hook name → contract. Capabilities add theirs in :func:`_contracts`.
HOOK_CONTRACTS: dict[str, HookContract] = {}


def _contracts() -> dict[str, HookContract]:
    if not HOOK_CONTRACTS:
        HOOK_CONTRACTS.update(_core_contracts())
        from community_governance.testing import contracts_more

        HOOK_CONTRACTS.update(contracts_more.contracts())
    return HOOK_CONTRACTS


def _runner(hooks: Hooks, impl: Any, hook: str, check: Callable[[Any], Any],
            found: list[str]) -> Callable[[dict[str, Any]], None]:
    def run(kwargs: dict[str, Any]) -> None:
        if found:
            return
        try:
            value = hooks._call_one(impl, hook, kwargs)
            if value is not None:
                hooks._check(impl, hook, value, check)
        except PluginError as exc:
            found.append(f"{hook}: {exc}")

    return run


def _scope(hooks: Hooks, impls: list[Any]) -> list[str] | None:
    """The plugin's own ``cgov_plugin_scope`` answer, checked (``None`` when it has none)."""
    from community_governance.testing.contracts_more import check_scope

    for impl in impls:
        value = hooks._call_one(impl, "cgov_plugin_scope", {})
        if value is not None:
            return hooks._check(impl, "cgov_plugin_scope", value, check_scope)
    return None


def check_plugin(plugin: object, *, counties: Sequence[str] | None = None,
                 examples: int = 25) -> list[str]:
    """Call every hook ``plugin`` implements with generated inputs; return the problems.

    Args:
        plugin: the plugin (a module or an object with ``@hookimpl`` functions).
        counties: the county codes whose places the inputs are mostly drawn from (default:
            the counties of the plugin's ``cgov_plugin_scope()``, else ``["411281"]``).
        examples: how many generated inputs per hook.

    Returns:
        One sentence per problem (a raise, an unusable answer, a hook with no contract, a
        scope that is not unit-code prefixes); an empty list when the plugin conforms.

    Raises:
        ValueError: a county code that is not 6 digits.
    """
    from community_governance.testing.contracts_more import COUNTIES

    try:  # the plugin's scope and conflicts are checked when the hooks are set up
        hooks = Hooks(get_plugin_manager(entrypoints=False, extra=[plugin]))
    except PluginError as exc:
        return [str(exc)]
    name = hooks.pm.get_name(plugin)
    problems: list[str] = []
    contracts = _contracts()
    if counties is None:
        mine = [i for i in hooks.pm.hook.cgov_plugin_scope.get_hookimpls()
                if i.plugin_name == name] if hasattr(hooks.pm.hook, "cgov_plugin_scope") else []
        try:
            scope = _scope(hooks, mine)
        except PluginError as exc:
            return [f"cgov_plugin_scope: {exc}"]
        counties = sorted({c[:6] for c in scope if len(c) >= 6}) if scope else ["411281"]
        if scope and not counties:  # a prefecture or province: check a county inside it
            counties = [(scope[0] + "0101")[:6]]
    bad = [c for c in counties if not (isinstance(c, str) and len(c) == 6 and c.isdigit())]
    if bad or not counties:
        raise ValueError(f"counties must be 6-digit county codes, got {list(counties)!r}")
    token = COUNTIES.set(tuple(counties))
    try:
        problems = _check_hooks(hooks, name, contracts, examples)
    finally:
        COUNTIES.reset(token)
    return problems


def _check_hooks(hooks: Hooks, name: str | None, contracts: dict[str, HookContract],
                 examples: int) -> list[str]:
    problems: list[str] = []
    for hook_name in sorted(n for n in dir(hooks.pm.hook) if n.startswith("cgov_")):
        caller = getattr(hooks.pm.hook, hook_name)
        impls = [i for i in caller.get_hookimpls() if i.plugin_name == name]
        if not impls:
            continue
        contract = contracts.get(hook_name)
        if contract is None:
            problems.append(f"{hook_name}: no conformance contract is known for this hook")
            continue
        if contract.kwargs.is_empty:
            continue
        found: list[str] = []
        run = _runner(hooks, impls[0], hook_name, contract.check, found)
        settings(max_examples=examples, deadline=None, database=None,
                 suppress_health_check=list(HealthCheck))(given(contract.kwargs)(run))()
        problems += found
    return problems
