"""The plugin manager: built-in defaults, entry points, explicit plugins, checked hook calls.

The national defaults are ordinary plugins (modules of :mod:`community_governance.defaults`)
whose implementations are ``trylast``, so a county's answer wins for first-result hooks without
special cases. Plugins installed with an entry point in the ``community_governance`` group are
loaded, then the plugins passed to :func:`community_governance.open`.

pluggy itself lets a wrong type through and lets one raising plugin abort a call without saying
which. :class:`Hooks` therefore calls each implementation itself, in pluggy's order, and checks
every answer: a plugin that raises or answers nonsense gets a :class:`PluginError` naming the
plugin, the hook and the value, and nothing is written.

Plugins never hold the write lock while they think: a service asks the hooks a write needs in a
read transaction first, inside :meth:`Hooks.remember`, then opens its write transaction and
gets the remembered answers for the questions that still hold (:class:`HookMemo`). Every call
is timed (:attr:`Hooks.timings`), slow calls are logged, and ``CGOV_TRACE_PLUGINS=1`` logs
every call.
"""

from __future__ import annotations

import datetime as dt
import enum
import importlib
import logging
import os
import pkgutil
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

import attrs
import pluggy

from community_governance import hookspecs
from community_governance.errors import CgovError, PluginError
from community_governance.markers import PROJECT

__all__ = [
    "HookMemo",
    "HookTiming",
    "Hooks",
    "ScopeConflict",
    "default_plugin_modules",
    "get_plugin_manager",
    "plugin_name",
]

if TYPE_CHECKING:
    from community_governance.calendars import WorkingDayCalendar
    from community_governance.domain.posts import PostKind

log = logging.getLogger(__name__)
T = TypeVar("T")

ENTRY_POINT_GROUP = PROJECT


def default_plugin_modules() -> list[str]:
    """The module names of the built-in default plugins, in name order."""
    from community_governance import defaults

    return [
        f"{defaults.__name__}.{i.name}"
        for i in sorted(pkgutil.iter_modules(defaults.__path__), key=lambda i: i.name)
        if not i.name.startswith("_")
    ]


def get_plugin_manager(
    *, entrypoints: bool = True, extra: Sequence[object] = (),
    defaults: bool | Sequence[str] = True,
) -> pluggy.PluginManager:
    """Build a fresh plugin manager (no globals).

    Args:
        entrypoints: load plugins installed under the ``community_governance`` entry-point group.
        extra: further plugins (modules, classes or instances with ``@hookimpl`` functions),
            registered last so that they are called first.
        defaults: register the national defaults (``False`` only for hooks they do not
            answer, e.g. ``cgov_register_commands``: the command line starts faster), or
            only the named ones (e.g. ``("calendars",)`` for ``cgov calendar``, whose hooks
            no other default answers).

    Returns:
        The manager, with every hookspec added and ``check_pending()`` passed.

    Raises:
        PluginError: a plugin implements a hook that does not exist or with unknown arguments.
    """
    pm = pluggy.PluginManager(PROJECT)
    for mod in hookspecs.spec_modules():
        pm.add_hookspecs(mod)
    wanted = None if isinstance(defaults, bool) else set(defaults)
    if wanted is not None:
        known = {m.rsplit(".", 1)[1] for m in default_plugin_modules()}
        if wanted - known:
            raise ValueError(f"no default plugin module {sorted(wanted - known)}; the modules "
                             f"are {sorted(known)}")
    for name in default_plugin_modules() if defaults else ():
        if wanted is not None and name.rsplit(".", 1)[1] not in wanted:
            continue
        pm.register(importlib.import_module(name), name=f"cgov.defaults.{name.rsplit('.', 1)[1]}")
    if entrypoints:
        try:
            pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
        except pluggy.PluginValidationError as exc:
            raise PluginError(plugin_name(pm, exc.plugin), "?", str(exc)) from exc
    for i, plugin in enumerate(extra):
        name = getattr(plugin, "__name__", None) or f"{type(plugin).__name__}#{i}"
        if pm.is_registered(plugin):
            continue
        try:
            pm.register(plugin, name=name if pm.get_plugin(name) is None else f"{name}#{i}")
        except pluggy.PluginValidationError as exc:
            raise PluginError(name, "?", str(exc)) from exc
        except ValueError as exc:
            raise PluginError(name, "?", str(exc)) from exc
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(
            plugin_name(pm, exc.plugin),
            "?",
            f"{exc}; check the hook's name against the hook catalogue (cgov plugins list)",
        ) from exc
    return pm


def plugin_name(pm: pluggy.PluginManager, plugin: object) -> str:
    """The registered name of ``plugin`` (its module name when it has no other)."""
    return pm.get_name(plugin) or getattr(plugin, "__name__", None) or repr(plugin)


def _ordered(hook: pluggy.HookCaller) -> list[pluggy.HookImpl]:
    """Implementations in the order pluggy would call them (tryfirst first, trylast last)."""
    impls = [i for i in hook.get_hookimpls() if not (i.hookwrapper or i.wrapper)]
    return list(reversed(impls))


#: The default threshold (milliseconds) above which a hook call is reported as slow.
DEFAULT_SLOW_HOOK_MS = 200.0
#: Hooks asked about no place: a scoped plugin's implementation is asked everywhere.
SCOPE_HOOK = "cgov_plugin_scope"

trace_log = logging.getLogger(f"{__name__}.trace")

_MISSING = object()
#: Hooks that open resources rather than decide rules: timed, never reported as slow.
_NOT_RULES = frozenset({"cgov_storage_backend", "cgov_register_commands"})


class HookMemo:
    """The hook answers one service operation gathered before its write transaction.

    While a memo is active (:meth:`Hooks.remember`), every checked answer of
    :meth:`Hooks.first` and :meth:`Hooks.all` is kept under the hook, the place and the exact
    arguments; a later call with equal arguments gets the kept answer without asking the
    plugins again. A service asks the hooks a write needs in a read transaction, then opens the
    write transaction and runs its code with arguments read afresh: what did not change is
    answered from the memo (no plugin runs while the write lock is held); what changed meanwhile
    is asked again, so the write never uses an answer to a question that no longer holds.

    Attributes:
        hits: calls answered from the memo.
        misses: calls that asked the plugins.
    """

    def __init__(self) -> None:
        self.answers: dict[Any, Any] = {}
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key(kind: str, hook: str, place: str | None, kwargs: dict[str, Any]) -> Any:
        """The memo key of a call, or ``None`` when an argument cannot be compared."""
        try:
            key = (kind, hook, place, tuple(sorted(kwargs.items())))
            hash(key)
        except TypeError:
            return None
        return key


_MEMO: ContextVar[HookMemo | None] = ContextVar("cgov_hook_memo", default=None)


@attrs.define
class HookTiming:
    """How long one plugin's implementation of one hook took, over the life of a store.

    Attributes:
        hook: the hook's name.
        plugin: the plugin's registered name.
        calls: how many times it was called.
        total_ms: the time of all calls, in milliseconds.
        max_ms: the slowest call, in milliseconds.
        slow: how many calls took longer than the slow-hook threshold.
    """

    hook: str
    plugin: str
    calls: int = 0
    total_ms: float = 0.0
    max_ms: float = 0.0
    slow: int = 0

    @property
    def mean_ms(self) -> float:
        """The mean call time in milliseconds (0 before the first call)."""
        return self.total_ms / self.calls if self.calls else 0.0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready fields, times rounded to the microsecond."""
        return {"hook": self.hook, "plugin": self.plugin, "calls": self.calls,
                "total_ms": round(self.total_ms, 3), "mean_ms": round(self.mean_ms, 3),
                "max_ms": round(self.max_ms, 3), "slow": self.slow}


@attrs.frozen
class ScopeConflict:
    """Two plugins that claim the same rule for the same places.

    Attributes:
        hook: the hook both answer (``cgov_case_categories`` for a category code defined twice).
        scope: the unit-code prefix they share.
        plugins: the two plugins' names.
        detail: what they both define (a category code), or empty.
    """

    hook: str
    scope: str
    plugins: tuple[str, str]
    detail: str = ""

    def message(self) -> str:
        """One sentence naming both plugins, the scope and the fix."""
        what = f"both define case category {self.detail!r}" if self.detail else (
            f"both answer the first-result hook {self.hook}")
        return (f"plugins {self.plugins[0]!r} and {self.plugins[1]!r} have the same scope "
                f"{self.scope!r} and {what}: only one can decide, so install one of them, or "
                "narrow one's cgov_plugin_scope() to a part of the area")


def _env_float(name: str) -> float | None:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise PluginError("(configuration)", "?", f"{name}={raw!r} is not a number of "
                          "milliseconds; set it to e.g. 200") from None
    if value < 0:
        raise PluginError("(configuration)", "?", f"{name}={raw!r} is negative; set it to a "
                          "number of milliseconds >= 0")
    return value


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() not in ("", "0", "false", "no", "off")


class Hooks:
    """Checked access to the hooks of one plugin manager.

    Every service calls hooks through this object, never through ``pm.hook`` directly.

    Calls that name a ``place`` (a unit code: the community, or the county for county-wide
    rules) ask only the plugins whose scope (``cgov_plugin_scope``) contains the place, the
    most specific scope first, then wider scopes, then unscoped plugins, then the national
    defaults (``trylast``); the order per hook and place is computed once and kept. Calls
    without a place ask every plugin in pluggy's order.

    Every call is timed; calls slower than ``slow_hook_ms`` are logged as warnings, and
    :attr:`timings` keeps per-hook, per-plugin figures.

    Args:
        pm: the plugin manager (from :func:`get_plugin_manager`).
        slow_hook_ms: the slow-call threshold in milliseconds (default: the environment
            variable ``CGOV_SLOW_HOOK_MS``, else 200).
        trace: log every hook call (default: the environment variable ``CGOV_TRACE_PLUGINS``).

    Raises:
        PluginError: a plugin's scope is not a list of unit-code prefixes, or two plugins
            conflict (:meth:`conflicts`); the message names the plugins.
    """

    def __init__(self, pm: pluggy.PluginManager, *, slow_hook_ms: float | None = None,
                 trace: bool | None = None) -> None:
        self.pm = pm
        env_ms = _env_float("CGOV_SLOW_HOOK_MS")
        self.slow_hook_ms = float(slow_hook_ms if slow_hook_ms is not None else (
            env_ms if env_ms is not None else DEFAULT_SLOW_HOOK_MS))
        self.trace = _env_flag("CGOV_TRACE_PLUGINS") if trace is None else trace
        self.timings: dict[tuple[str, str], HookTiming] = {}
        self._saved: dict[tuple[str, str], tuple[int, float, int]] = {}
        self._order: dict[tuple[str, str | None], tuple[pluggy.HookImpl, ...]] = {}
        self.scopes: dict[str, tuple[str, ...]] = {}
        self.refresh()
        self._watch(pm)

    def _watch(self, pm: pluggy.PluginManager) -> None:
        """Refresh the scopes and orders whenever a plugin is registered or unregistered on
        ``pm`` after this object was made (tests and tools do that)."""
        register, unregister = pm.register, pm.unregister

        def registered(plugin: object, name: str | None = None) -> str | None:
            out = register(plugin, name)
            self.refresh()
            return out

        def unregistered(plugin: object | None = None, name: str | None = None) -> Any:
            out = unregister(plugin, name)
            self.refresh()
            return out

        pm.register = registered  # type: ignore[method-assign]
        pm.unregister = unregistered  # type: ignore[method-assign]

    # ------------------------------------------------------------------ scopes and order

    def refresh(self) -> None:
        """Read the plugins' scopes again and forget the cached call orders.

        Call it after registering or unregistering a plugin on :attr:`pm` directly.
        """
        from community_governance.domain.units import validate_scope_prefix

        self._order.clear()
        scopes: dict[str, tuple[str, ...]] = {}
        caller = getattr(self.pm.hook, SCOPE_HOOK, None)
        for impl in (_ordered(caller) if caller is not None else []):
            value = self._call_one(impl, SCOPE_HOOK, {}, None)
            if value is None:
                continue
            try:
                if isinstance(value, str) or not isinstance(value, list | tuple) or not value:
                    raise TypeError("expected a non-empty list of unit-code prefixes such as "
                                    "['411281'], or None to serve everywhere")
                scopes[impl.plugin_name] = tuple(
                    dict.fromkeys(validate_scope_prefix(v) for v in value))
            except (TypeError, CgovError) as exc:
                raise PluginError(impl.plugin_name, SCOPE_HOOK,
                                  f"answered {_short(value)}, which is not a scope: {exc}",
                                  value) from exc
        self.scopes = scopes
        found = self.conflicts()
        if found:
            raise PluginError(
                ", ".join(found[0].plugins), found[0].hook,
                "; ".join(c.message() for c in found))

    def scope_of(self, plugin: str) -> tuple[str, ...] | None:
        """The unit-code prefixes ``plugin`` serves, or ``None`` when it serves everywhere."""
        return self.scopes.get(plugin)

    def conflicts(self) -> list[ScopeConflict]:
        """Pairs of plugins with the same scope that answer the same first-result hook, or
        define the same case category code for the same county.

        The case categories of each scoped plugin are asked once, with ``county_code`` the
        county of the scope (the scope itself when it is wider than a county).
        """
        by_scope: dict[str, list[str]] = {}
        for plugin, prefixes in self.scopes.items():
            for prefix in prefixes:
                by_scope.setdefault(prefix, []).append(plugin)
        shared = {p: names for p, names in by_scope.items() if len(names) > 1}
        if not shared:
            return []
        out: list[ScopeConflict] = []
        for name in sorted(n for n in dir(self.pm.hook) if n.startswith("cgov_")):
            caller = getattr(self.pm.hook, name)
            opts = caller.spec.opts if caller.spec is not None else {}
            impls = {i.plugin_name: i for i in _ordered(caller)}
            for prefix, names in sorted(shared.items()):
                have = [n for n in names if n in impls]
                if len(have) < 2:
                    continue
                if opts.get("firstresult") and name != SCOPE_HOOK:
                    out.append(ScopeConflict(name, prefix, (have[0], have[1])))
                elif name == "cgov_case_categories":
                    county = prefix[:6] if len(prefix) >= 6 else prefix
                    seen: dict[str, str] = {}
                    for n in have:
                        value = self._call_one(impls[n], name, {"county_code": county}, county)
                        for cat in value or ():
                            code = getattr(cat, "code", None)
                            if isinstance(code, str) and code in seen and seen[code] != n:
                                out.append(ScopeConflict(name, prefix, (seen[code], n), code))
                            elif isinstance(code, str):
                                seen[code] = n
        return out

    def _ordered_for(self, hook: str, place: str | None) -> tuple[pluggy.HookImpl, ...]:
        key = (hook, place)
        got = self._order.get(key)
        if got is not None:
            return got
        impls = _ordered(getattr(self.pm.hook, hook))
        if place is None or not self.scopes:
            got = tuple(impls)
        else:
            ranked: list[tuple[tuple[int, int, int], pluggy.HookImpl]] = []
            for index, impl in enumerate(impls):
                scope = self.scopes.get(impl.plugin_name)
                if scope is None:
                    ranked.append(((2 if impl.trylast else 1, 0, index), impl))
                    continue
                depth = max((len(p) for p in scope if place.startswith(p)), default=-1)
                if depth >= 0:
                    ranked.append(((0, -depth, index), impl))
            got = tuple(impl for _, impl in sorted(ranked, key=lambda r: r[0]))
        self._order[key] = got
        return got

    def implementations(self, hook: str, *, place: str | None = None) -> list[str]:
        """The names of the plugins implementing ``hook``, in the order they are asked about
        ``place`` (every plugin, in pluggy's order, when ``place`` is ``None``)."""
        return [i.plugin_name for i in self._ordered_for(hook, place)]

    # ------------------------------------------------------------------ calls

    def _call_one(self, impl: pluggy.HookImpl, hook: str, kwargs: dict[str, Any],
                  place: str | None = None) -> Any:
        if "place" in impl.argnames and "place" not in kwargs:
            kwargs = {**kwargs, "place": place}
        args = [kwargs[a] for a in impl.argnames if a in kwargs]
        missing = [a for a in impl.argnames if a not in kwargs]
        if missing:
            raise PluginError(
                impl.plugin_name, hook, f"its implementation asks for unknown arguments {missing}"
            )
        start = time.perf_counter()
        try:
            value = impl.function(*args)
        except PluginError:
            self._timed(impl, hook, kwargs, place, start, "raised PluginError")
            raise
        except Exception as exc:
            self._timed(impl, hook, kwargs, place, start, f"raised {type(exc).__name__}")
            raise PluginError(
                impl.plugin_name, hook, f"raised {type(exc).__name__}: {exc}"
            ) from exc
        self._timed(impl, hook, kwargs, place, start, value)
        return value

    def _timed(self, impl: pluggy.HookImpl, hook: str, kwargs: dict[str, Any],
               place: str | None, start: float, answer: Any) -> None:
        ms = (time.perf_counter() - start) * 1000.0
        key = (hook, impl.plugin_name)
        t = self.timings.get(key)
        if t is None:
            t = self.timings[key] = HookTiming(hook, impl.plugin_name)
        t.calls += 1
        t.total_ms += ms
        if ms > t.max_ms:
            t.max_ms = ms
        if ms > self.slow_hook_ms and hook not in _NOT_RULES:
            t.slow += 1
            log.warning("slow hook: %s of plugin %s took %.0f ms (threshold %.0f ms, "
                        "CGOV_SLOW_HOOK_MS); place %s", hook, impl.plugin_name, ms,
                        self.slow_hook_ms, place)
        if self.trace:
            trace_log.warning("hook %s plugin %s place %s args %s -> %s (%.3f ms)", hook,
                              impl.plugin_name, place, summarize_args(kwargs),
                              summarize(answer), ms)

    def _check(
        self, impl: pluggy.HookImpl, hook: str, value: Any, check: Callable[[Any], T]
    ) -> T:
        try:
            return check(value)
        except PluginError:
            raise
        except (TypeError, ValueError, KeyError, AttributeError, CgovError) as exc:
            raise PluginError(
                impl.plugin_name, hook, f"answered {_short(value)}, which is not usable: {exc}",
                value,
            ) from exc

    def first(self, hook: str, check: Callable[[Any], T], *, place: str | None = None,
              **kwargs: Any) -> T:
        """Call ``hook`` until a plugin answers, check the answer with ``check``, return it.

        Args:
            hook: the hook's name.
            check: turns the raw answer into the expected value, raising ``TypeError`` or
                ``ValueError`` when it is unusable.
            place: the unit code the rule is decided for (a community, or the county for
                county-wide rules): only plugins whose scope contains it are asked, the most
                specific first. ``None`` asks every plugin (national hooks). Not passed to
                implementations.
            **kwargs: the hook's arguments.

        Raises:
            PluginError: a plugin raised, or answered something ``check`` refused, or no
                plugin answered at all.
        """
        memo = _MEMO.get()
        key = None if memo is None else HookMemo.key("first", hook, place, kwargs)
        if key is not None and memo is not None:
            got = memo.answers.get(key, _MISSING)
            if got is not _MISSING:
                memo.hits += 1
                return got  # type: ignore[no-any-return]
            memo.misses += 1
        for impl in self._ordered_for(hook, place):
            value = self._call_one(impl, hook, kwargs, place)
            if value is not None:
                checked = self._check(impl, hook, value, check)
                if key is not None and memo is not None:
                    memo.answers[key] = checked
                return checked
        raise PluginError(
            "(none)", hook, "no plugin answered; the built-in defaults must have been unregistered"
        )

    def all(self, hook: str, check: Callable[[Any], T], *, place: str | None = None,
            **kwargs: Any) -> list[tuple[str, T]]:
        """Call every implementation of ``hook`` (those serving ``place``, when given); check
        and return the non-None answers.

        Returns:
            ``(plugin name, checked answer)`` pairs in call order.
        """
        memo = _MEMO.get()
        key = None if memo is None else HookMemo.key("all", hook, place, kwargs)
        if key is not None and memo is not None:
            got = memo.answers.get(key, _MISSING)
            if got is not _MISSING:
                memo.hits += 1
                return list(got)
            memo.misses += 1
        out: list[tuple[str, T]] = []
        for impl in self._ordered_for(hook, place):
            value = self._call_one(impl, hook, kwargs, place)
            if value is not None:
                out.append((impl.plugin_name, self._check(impl, hook, value, check)))
        if key is not None and memo is not None:
            memo.answers[key] = tuple(out)
        return out

    @contextmanager
    def remember(self) -> Iterator[HookMemo]:
        """Keep the answers of hook calls made inside the block (see :class:`HookMemo`).

        Nested blocks share the outer memo.
        """
        memo = _MEMO.get()
        if memo is not None:
            yield memo
            return
        memo = HookMemo()
        token = _MEMO.set(memo)
        try:
            yield memo
        finally:
            _MEMO.reset(token)

    def notify(self, event: str, payload: dict[str, Any]) -> None:
        """Call ``cgov_notify``; a failing notifier is logged with its name, never raised."""
        for impl in self._ordered_for("cgov_notify", None):
            try:
                self._call_one(impl, "cgov_notify", {"event": event, "payload": payload}, None)
            except PluginError as exc:
                log.error("%s", exc)

    def unsaved_timings(self) -> list[HookTiming]:
        """What was timed since the last call (calls, time and slow calls as differences; the
        maximum as it stands), and mark it saved."""
        out = []
        for key, t in self.timings.items():
            calls, total, slow = self._saved.get(key, (0, 0.0, 0))
            if t.calls > calls:
                out.append(HookTiming(t.hook, t.plugin, t.calls - calls, t.total_ms - total,
                                      t.max_ms, t.slow - slow))
                self._saved[key] = (t.calls, t.total_ms, t.slow)
        return out

    def timing_report(self) -> list[HookTiming]:
        """The timings of every (hook, plugin) called so far, slowest total first."""
        return sorted(self.timings.values(), key=lambda t: (-t.total_ms, t.hook, t.plugin))


#: Argument names whose values are personal or sensitive: traced as ``<masked>``.
_SENSITIVE_ARGS = frozenset({"vulnerabilities", "resident", "payload", "principal"})
_KEY_FIELDS = ("id", "code", "name", "category", "unit_code", "kind", "community_code")
_PERSONAL_FIELDS = frozenset({"name"})


def summarize(value: Any, depth: int = 0) -> str:
    """A short, masked description of a hook argument or answer for the trace log.

    Plain values are shown (ID and mobile numbers masked); objects by their type and key
    fields (never a person's name); collections by their size and first items.
    """
    from community_governance.masking import mask_text

    if value is None or isinstance(value, bool | int | float | Decimal):
        return repr(value)
    if isinstance(value, str):
        return mask_text(_short(value))
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return f"{type(value).__name__}.{value.name}"
    if isinstance(value, frozenset | set):
        return f"{type(value).__name__}(<{len(value)} items>)"
    if isinstance(value, list | tuple):
        if depth > 0:
            return f"[<{len(value)} items>]"
        head = ", ".join(summarize(v, depth + 1) for v in list(value)[:3])
        return f"[{head}{', ...' if len(value) > 3 else ''}] ({len(value)})"
    if isinstance(value, dict):
        return f"dict(<{len(value)} keys>)"
    name = type(value).__name__
    if attrs.has(type(value)):
        fields = []
        for f in _KEY_FIELDS:
            if f in attrs.fields_dict(type(value)) and f not in _PERSONAL_FIELDS:
                fields.append(f"{f}={summarize(getattr(value, f), depth + 1)}")
            if len(fields) == 2:
                break
        return f"{name}({', '.join(fields)})"
    return f"<{name}>"


def summarize_args(kwargs: dict[str, Any]) -> str:
    """The trace summary of a hook call's arguments (sensitive ones shown as ``<masked>``)."""
    return "{" + ", ".join(
        f"{k}={'<masked>' if k in _SENSITIVE_ARGS else summarize(v)}"
        for k, v in kwargs.items()) + "}"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


# --- reusable answer checks -------------------------------------------------------------------


def expect_type(kind: type[T] | tuple[type, ...]) -> Callable[[Any], T]:
    """A check that accepts instances of ``kind`` (``bool`` is never accepted as ``int``)."""

    def check(value: Any) -> T:
        if isinstance(value, bool) and kind is not bool and not (
            isinstance(kind, tuple) and bool in kind
        ):
            raise TypeError(f"expected {getattr(kind, '__name__', kind)}, got bool")
        if not isinstance(value, kind):
            raise TypeError(
                f"expected {getattr(kind, '__name__', kind)}, got {type(value).__name__}"
            )
        return value  # type: ignore[return-value]

    return check


def expect_int(*, minimum: int | None = None, maximum: int | None = None) -> Callable[[Any], int]:
    """A check for a whole number within bounds (``bool`` and floats refused)."""

    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"expected a whole number, got {type(value).__name__}")
        if minimum is not None and value < minimum:
            raise ValueError(f"expected at least {minimum}, got {value}")
        if maximum is not None and value > maximum:
            raise ValueError(f"expected at most {maximum}, got {value}")
        return value

    return check


def expect_dirs(value: Any) -> list[Any]:
    """A check for a list (or tuple) of data directories (``cgov_holiday_data_dirs``)."""
    if not isinstance(value, list | tuple):
        raise TypeError(f"expected a list of directories, got {type(value).__name__}")
    return list(value)


def expect_local_days(year: int) -> Callable[[Any], list[Any]]:
    """A check for a ``cgov_local_calendar_days`` answer: :class:`LocalDay` entries of ``year``."""
    from community_governance.calendars import LocalDay

    def check(value: Any) -> list[Any]:
        if not isinstance(value, list | tuple):
            raise TypeError(f"expected a list of LocalDay, got {type(value).__name__}")
        for item in value:
            if not isinstance(item, LocalDay):
                raise TypeError(f"expected LocalDay entries (LocalDay.day_off(day, name)), "
                                f"got {type(item).__name__}")
            if item.day.year != year:
                raise ValueError(f"{item.day.isoformat()} is not in {year}, the year asked "
                                 "about")
        return list(value)

    return check


def working_day_calendar(hooks: Hooks, county_code: str | None = None) -> WorkingDayCalendar:
    """The working-day calendar of a county as the plugins give it: the year-file directories
    of ``cgov_holiday_data_dirs``, the national calendar of ``cgov_working_day_calendar``, then
    the county's own days of ``cgov_local_calendar_days`` for every year it covers; every
    answer checked.

    The cases service, the appointments service, ``cgov calendar`` and the simulation engine
    all get it here (the services cache it per county).

    Args:
        hooks: the store's hooks.
        county_code: the county (6 digits), or ``None`` for the national calendar alone.

    Raises:
        PluginError: a plugin raised or answered something unusable (a local day of another
            year, one day both off and working...).
    """
    from community_governance.calendars import WorkingDayCalendar

    dirs = [d for _, ds in hooks.all("cgov_holiday_data_dirs", expect_dirs,
                                     county_code=county_code, place=county_code) for d in ds]
    cal = hooks.first("cgov_working_day_calendar", expect_type(WorkingDayCalendar),
                      extra_dirs=dirs, county_code=county_code, place=county_code)
    if county_code is None or not hooks.implementations("cgov_local_calendar_days"):
        return cal
    local: list[Any] = []
    names: list[str] = []
    for year in cal.years:
        for name, days in hooks.all("cgov_local_calendar_days", expect_local_days(year),
                                    county_code=county_code, year=year, place=county_code):
            local += days
            names += [name] * len(days)
    if not local:
        return cal
    try:
        return cal.with_local_days(local, county_code)
    except CgovError as exc:
        raise PluginError(", ".join(sorted(set(names))), "cgov_local_calendar_days",
                          str(exc)) from exc


def expect_categories(value: Any) -> list[Any]:
    """A check for a ``cgov_care_categories`` answer: a list of ``CareCategory``."""
    from community_governance.domain.care import CareCategory

    if not isinstance(value, list | tuple):
        raise TypeError(f"expected a list of CareCategory, got {type(value).__name__}")
    for v in value:
        if not isinstance(v, CareCategory):
            raise TypeError(f"expected CareCategory entries, got {type(v).__name__}")
    return list(value)


def care_categories(hooks: Hooks, community_code: str) -> list[Any]:
    """The care categories of a community (``cgov_care_categories``), the first answer per
    code (the most specific scope wins).

    The care service (``gov.care.categories``) and the simulation engine (whose festival
    visits go to the households these categories put in care) both get them here.

    Raises:
        PluginError: a plugin raised or answered something other than categories.
    """
    seen: dict[str, Any] = {}
    for _, cats in hooks.all("cgov_care_categories", expect_categories, place=community_code,
                             community_code=community_code):
        for c in cats:
            seen.setdefault(c.code, c)
    return list(seen.values())


def expect_category_codes(known: Sequence[str]) -> Callable[[Any], list[str]]:
    """A check for a list of care-category codes, each one of ``known``."""

    def run(value: Any) -> list[str]:
        codes = expect_str_list(value)
        unknown = sorted(set(codes) - set(known))
        if unknown:
            raise ValueError(f"{unknown} are not care categories of the community "
                             f"(cgov_care_categories: {sorted(known)})")
        return list(dict.fromkeys(codes))

    return run


def expect_post_kinds(value: Any) -> list[PostKind]:
    """A check for a list (or tuple) of post kinds, given as ``PostKind`` or their values."""
    if not isinstance(value, list | tuple):
        raise TypeError(f"expected a list of post kinds, got {type(value).__name__}")
    from community_governance.domain.posts import PostKind

    return [PostKind(v) for v in value]


def expect_str_list(value: Any) -> list[str]:
    """A check for a list (or tuple) of strings."""
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise TypeError("expected a list of strings")
    return list(value)


def expect_bool(value: Any) -> bool:
    """A check for ``True`` or ``False``."""
    if not isinstance(value, bool):
        raise TypeError(f"expected True or False, got {type(value).__name__}")
    return value


def expect_each(check: Callable[[Any], T]) -> Callable[[Any], list[T]]:
    """A check for a list or tuple whose every element passes ``check``."""

    def run(value: Any) -> list[T]:
        if not isinstance(value, list | tuple):
            raise TypeError(f"expected a list, got {type(value).__name__}")
        return [check(v) for v in value]

    return run


def accept_any(value: Any) -> Any:
    """No check (for hooks whose answers are ignored)."""
    return value
