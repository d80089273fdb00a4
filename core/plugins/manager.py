"""The deployment's pluggy manager, per-town enablement and the trace switch."""

from __future__ import annotations

import importlib
import inspect
import logging
import re
import time
from collections.abc import Callable
from typing import Any

import pluggy

from core import hookspecs
from core.plugins.discovery import PluginSource, discover
from core.settings import SettingsError, get_settings

log = logging.getLogger("jiefen.plugins")

# Built-in defaults: always on, registered first so any plugin can override them.
DEFAULT_PLUGINS = ("core.defaults.numbering", "core.defaults.dispatch", "core.defaults.signer", "core.integrations.observer")
# Paths the host itself uses under /api/v1/plugins/ (core.plugins.api): no plugin takes these names.
RESERVED_NAMES = frozenset({"switches", "deliveries", "cases", "widgets"})
# A name appears in URLs, table prefixes and JIEFEN_PLUGIN_<NAME>_* variables.
NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,59}")

_manager: pluggy.PluginManager | None = None
_sources: dict[str, PluginSource] = {}
_switch_cache: tuple[float, list[dict[str, Any]]] | None = None
SWITCH_TTL_SECONDS = 2.0


class PluginLoadError(SettingsError):
    """A plugin that cannot be imported stops the start, naming the plugin."""


class PluginFailed(Exception):
    """A hook implementation raised; the message names the plugin, ``original`` is the error."""

    def __init__(self, plugin: str, hook: str, original: BaseException) -> None:
        self.plugin, self.hook, self.original = plugin, hook, original
        super().__init__(f"plugin {plugin} ({hook}): {type(original).__name__}: {original}")


async def await_me_maybe(value: Any) -> Any:
    if callable(value):
        value = value()
    if inspect.isawaitable(value):
        value = await value
    return value


def get_manager() -> pluggy.PluginManager:
    global _manager
    if _manager is None:
        _manager = _build()
    return _manager


def reset_manager() -> None:
    """Forget the manager and everything derived from it (tests, ``JIEFEN_PLUGINS_DIR`` changes)."""
    global _manager
    _manager = None
    _sources.clear()
    discover.cache_clear()
    forget_switches()
    from core.plugins import settings, web

    settings.forget()
    web.forget()


def _build() -> pluggy.PluginManager:
    pm = pluggy.PluginManager("jiefen")
    pm.add_hookspecs(hookspecs)
    for module_name in DEFAULT_PLUGINS:
        pm.register(importlib.import_module(module_name), name=module_name)
    for source in discover():
        if not NAME_PATTERN.fullmatch(source.name) or source.name in RESERVED_NAMES:
            raise PluginLoadError(
                f"Jiefen cannot start: plugin name {source.name!r} ({source.location}) must be lower-case "
                f"letters, digits and _ and not one of {sorted(RESERVED_NAMES)}"
            )
        try:
            module = importlib.import_module(source.module)
        except Exception as exc:
            raise PluginLoadError(
                f"Jiefen cannot start: plugin {source.name} ({source.origin}, {source.location}) "
                f"failed to import: {type(exc).__name__}: {exc}"
            ) from exc
        if pm.get_plugin(source.name) is None:
            pm.register(module, name=source.name)
            _sources[source.name] = source
    if get_settings().trace_plugins:
        pm.trace.root.setwriter(log.info)
        pm.enable_tracing()
    return pm


def source_of(name: str) -> PluginSource | None:
    """Where a plugin came from (None for a plugin registered by hand, e.g. in a test)."""
    get_manager()
    return _sources.get(name)


def plugin_names() -> list[str]:
    """Switchable plugins (the built-in defaults are not)."""
    return [name for name, _ in get_manager().list_name_plugin() if name not in DEFAULT_PLUGINS]


def default_enabled(name: str) -> bool:
    plugin = get_manager().get_plugin(name)
    # Bundled specialist flows start off; a town's own plugins start on.
    return bool(getattr(plugin, "DEFAULT_ENABLED", not (getattr(plugin, "__name__", "").startswith("plugins."))))


async def _switches() -> list[dict[str, Any]]:
    global _switch_cache
    from core.orgs.tables import PluginSwitch

    now = time.monotonic()
    if _switch_cache and now - _switch_cache[0] < SWITCH_TTL_SECONDS:
        return _switch_cache[1]
    rows = await PluginSwitch.select(
        PluginSwitch.plugin, PluginSwitch.enabled, PluginSwitch.organisation.path.as_alias("path")
    )
    _switch_cache = (now, rows)
    return rows


def forget_switches() -> None:
    """Drop this process's switch cache (other processes see a change within the TTL)."""
    global _switch_cache
    _switch_cache = None


async def enabled_for_path(name: str, path: str) -> bool:
    """The deepest switch at or above ``path`` decides; none means the plugin's default."""
    if name in DEFAULT_PLUGINS:
        return True
    best: tuple[int, bool] | None = None
    for row in await _switches():
        if row["plugin"] == name and row["path"] and path.startswith(row["path"]):
            depth = len(row["path"])
            if best is None or depth > best[0]:
                best = (depth, row["enabled"])
    return best[1] if best else default_enabled(name)


async def enabled_for_case(name: str, case: dict[str, Any]) -> bool:
    """Is the plugin on for the town responsible for ``case`` (a row with ``org_path``)?"""
    return await enabled_for_path(name, case.get("org_path") or "")


async def enabled_plugins_for_path(path: str) -> set[str]:
    return {name for name in plugin_names() if await enabled_for_path(name, path)} | set(DEFAULT_PLUGINS)


def all_impls(hook_name: str) -> list[tuple[str, Callable[..., Any]]]:
    """(plugin name, hook function) for every registered plugin, latest first (pluggy's order)."""
    caller = getattr(get_manager().hook, hook_name)
    return [(impl.plugin_name, _bound(impl, hook_name)) for impl in reversed(caller.get_hookimpls())]


async def hook_for_path(hook_name: str, path: str) -> list[tuple[str, Callable[..., Any]]]:
    """Like :func:`all_impls`, limited to the plugins on for the organisation at ``path``."""
    enabled = await enabled_plugins_for_path(path)
    return [(name, fn) for name, fn in all_impls(hook_name) if name in enabled]


async def hook_for_case(hook_name: str, case: dict[str, Any]) -> list[tuple[str, Callable[..., Any]]]:
    """(plugin name, hook function) for the plugins on for the case's town, latest first."""
    return await hook_for_path(hook_name, case.get("org_path") or "")


def _bound(impl: Any, hook_name: str) -> Callable[..., Any]:
    """Call an implementation with just the arguments it declares, as pluggy does; an error it
    raises (now or when awaited) comes out as :class:`PluginFailed`, naming the plugin."""
    names = tuple(impl.argnames) + tuple(getattr(impl, "kwargnames", ()))
    plugin = impl.plugin_name

    def failed(exc: Exception) -> PluginFailed:
        log.error("plugin %s: hook %s raised %s: %s", plugin, hook_name, type(exc).__name__, exc)
        return PluginFailed(plugin, hook_name, exc)

    async def awaited(result: Any) -> Any:
        try:
            return await result
        except Exception as exc:
            raise failed(exc) from exc

    def call(**kwargs: Any) -> Any:
        if get_settings().trace_plugins:
            log.info("hook %s -> %s", hook_name, plugin)
        try:
            result = impl.function(**{k: v for k, v in kwargs.items() if k in names})
            # Datasette style: a hook may hand back a function that does the work.
            if callable(result) and not isinstance(result, type):
                result = result()
        except Exception as exc:
            raise failed(exc) from exc
        return awaited(result) if inspect.isawaitable(result) else result

    return call


def collect(hook_name: str, /, **kwargs: Any) -> list[tuple[str, Any]]:
    """Call a start-time hook on every plugin: (plugin name, plain result) for the non-None ones."""
    results = []
    for name, function in reversed(all_impls(hook_name)):
        result = function(**kwargs)
        if inspect.iscoroutine(result):
            result.close()
            raise PluginFailed(name, hook_name, TypeError("this hook is called at start and must not be async"))
        if result is not None:
            results.append((name, result))
    return results


async def call_first(hook_name: str, scope: dict[str, Any] | None = None, /, **kwargs: Any) -> Any:
    """A firstresult call limited to the plugins on for the town of ``scope`` (a case row)."""
    impls = await hook_for_case(hook_name, scope) if scope is not None else all_impls(hook_name)
    for _name, function in impls:
        result = await await_me_maybe(function(**kwargs))
        if result is not None:
            return result
    return None
