"""The plugin manager: built-in defaults, entry points, explicit plugins, checked hook calls.

The national defaults are ordinary plugins (modules of :mod:`community_governance.defaults`)
whose implementations are ``trylast``, so a county's answer wins for first-result hooks without
special cases. Plugins installed with an entry point in the ``community_governance`` group are
loaded, then the plugins passed to :func:`community_governance.open`.

pluggy itself lets a wrong type through and lets one raising plugin abort a call without saying
which. :class:`Hooks` therefore calls each implementation itself, in pluggy's order, and checks
every answer: a plugin that raises or answers nonsense gets a :class:`PluginError` naming the
plugin, the hook and the value. Services call hooks before they write, inside the unit of work,
so nothing is written when that happens.
"""

from __future__ import annotations

import importlib
import logging
import os
import pkgutil
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import pluggy

from community_governance import hookspecs
from community_governance.domain.posts import PostKind
from community_governance.errors import CgovError, PluginError
from community_governance.markers import PROJECT

__all__ = ["Hooks", "default_plugin_modules", "get_plugin_manager", "plugin_name"]

if TYPE_CHECKING:
    from community_governance.calendars import WorkingDayCalendar

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
    *, entrypoints: bool = True, extra: Sequence[object] = ()
) -> pluggy.PluginManager:
    """Build a fresh plugin manager (no globals).

    Args:
        entrypoints: load plugins installed under the ``community_governance`` entry-point group.
        extra: further plugins (modules, classes or instances with ``@hookimpl`` functions),
            registered last so that they are called first.

    Returns:
        The manager, with every hookspec added and ``check_pending()`` passed.

    Raises:
        PluginError: a plugin implements a hook that does not exist or with unknown arguments.
    """
    pm = pluggy.PluginManager(PROJECT)
    for mod in hookspecs.spec_modules():
        pm.add_hookspecs(mod)
    for name in default_plugin_modules():
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
    if os.environ.get("CGOV_TRACE_PLUGINS"):
        pm.trace.root.setwriter(lambda msg: log.warning("%s", msg.rstrip()))
        pm.enable_tracing()
    return pm


def plugin_name(pm: pluggy.PluginManager, plugin: object) -> str:
    """The registered name of ``plugin`` (its module name when it has no other)."""
    return pm.get_name(plugin) or getattr(plugin, "__name__", None) or repr(plugin)


def _ordered(hook: pluggy.HookCaller) -> list[pluggy.HookImpl]:
    """Implementations in the order pluggy would call them (tryfirst first, trylast last)."""
    impls = [i for i in hook.get_hookimpls() if not (i.hookwrapper or i.wrapper)]
    return list(reversed(impls))


class Hooks:
    """Checked access to the hooks of one plugin manager.

    Every service calls hooks through this object, never through ``pm.hook`` directly.
    """

    def __init__(self, pm: pluggy.PluginManager) -> None:
        self.pm = pm

    def implementations(self, hook: str) -> list[str]:
        """The names of the plugins implementing ``hook``, in the order they are asked."""
        return [i.plugin_name for i in _ordered(getattr(self.pm.hook, hook))]

    def _call_one(self, impl: pluggy.HookImpl, hook: str, kwargs: dict[str, Any]) -> Any:
        args = [kwargs[a] for a in impl.argnames if a in kwargs]
        missing = [a for a in impl.argnames if a not in kwargs]
        if missing:
            raise PluginError(
                impl.plugin_name, hook, f"its implementation asks for unknown arguments {missing}"
            )
        try:
            return impl.function(*args)
        except PluginError:
            raise
        except Exception as exc:
            raise PluginError(
                impl.plugin_name, hook, f"raised {type(exc).__name__}: {exc}"
            ) from exc

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

    def first(self, hook: str, check: Callable[[Any], T], **kwargs: Any) -> T:
        """Call ``hook`` until a plugin answers, check the answer with ``check``, return it.

        Args:
            hook: the hook's name.
            check: turns the raw answer into the expected value, raising ``TypeError`` or
                ``ValueError`` when it is unusable.
            **kwargs: the hook's arguments.

        Raises:
            PluginError: a plugin raised, or answered something ``check`` refused, or no
                plugin answered at all.
        """
        for impl in _ordered(getattr(self.pm.hook, hook)):
            value = self._call_one(impl, hook, kwargs)
            if value is not None:
                return self._check(impl, hook, value, check)
        raise PluginError(
            "(none)", hook, "no plugin answered; the built-in defaults must have been unregistered"
        )

    def all(self, hook: str, check: Callable[[Any], T], **kwargs: Any) -> list[tuple[str, T]]:
        """Call every implementation of ``hook``; check and return the non-None answers.

        Returns:
            ``(plugin name, checked answer)`` pairs in call order.
        """
        out: list[tuple[str, T]] = []
        for impl in _ordered(getattr(self.pm.hook, hook)):
            value = self._call_one(impl, hook, kwargs)
            if value is not None:
                out.append((impl.plugin_name, self._check(impl, hook, value, check)))
        return out

    def notify(self, event: str, payload: dict[str, Any]) -> None:
        """Call ``cgov_notify``; a failing notifier is logged with its name, never raised."""
        for impl in _ordered(self.pm.hook.cgov_notify):
            try:
                self._call_one(impl, "cgov_notify", {"event": event, "payload": payload})
            except PluginError as exc:
                log.error("%s", exc)


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


def expect_post_kinds(value: Any) -> list[PostKind]:
    """A check for a list (or tuple) of post kinds, given as ``PostKind`` or their values."""
    if not isinstance(value, list | tuple):
        raise TypeError(f"expected a list of post kinds, got {type(value).__name__}")
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
