"""The deployment's pluggy manager, per-town enablement and the trace switch."""

from __future__ import annotations

import importlib
import inspect
import logging
import time
from typing import Any

import pluggy

from core import hookspecs
from core.plugins.discovery import discover
from core.settings import get_settings

log = logging.getLogger("jiefen.plugins")

# Built-in defaults: always on, registered first so any plugin can override them.
DEFAULT_PLUGINS = ("core.defaults.numbering", "core.defaults.dispatch")

_manager: pluggy.PluginManager | None = None
_switch_cache: tuple[float, list[dict[str, Any]]] | None = None
SWITCH_TTL_SECONDS = 2.0


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
    global _manager
    _manager = None


def _build() -> pluggy.PluginManager:
    pm = pluggy.PluginManager("jiefen")
    pm.add_hookspecs(hookspecs)
    for module_name in DEFAULT_PLUGINS:
        pm.register(importlib.import_module(module_name), name=module_name)
    for source in discover():
        module = importlib.import_module(source.module)
        if pm.get_plugin(source.name) is None:
            pm.register(module, name=source.name)
    if get_settings().trace_plugins:
        pm.trace.root.setwriter(log.info)
        pm.enable_tracing()
    return pm


def plugin_names() -> list[str]:
    """Switchable plugins (the built-in defaults are not)."""
    return [name for name, _ in get_manager().list_name_plugin() if name not in DEFAULT_PLUGINS]


def default_enabled(name: str) -> bool:
    plugin = get_manager().get_plugin(name)
    # Bundled specialist flows start off; a town's own plugins start on.
    return bool(getattr(plugin, "DEFAULT_ENABLED", not (getattr(plugin, "__name__", "").startswith("plugins."))))


async def _switches() -> list[dict[str, Any]]:
    global _switch_cache
    from core.orgs.tables import Organisation, PluginSwitch

    now = time.monotonic()
    if _switch_cache and now - _switch_cache[0] < SWITCH_TTL_SECONDS:
        return _switch_cache[1]
    rows = await PluginSwitch.select(
        PluginSwitch.plugin, PluginSwitch.enabled, PluginSwitch.organisation.path.as_alias("path")
    )
    _ = Organisation
    _switch_cache = (now, rows)
    return rows


def forget_switches() -> None:
    global _switch_cache
    _switch_cache = None


async def enabled_for_path(name: str, path: str) -> bool:
    """The deepest switch at or above ``path`` decides; none means the plugin's default."""
    if name in DEFAULT_PLUGINS:
        return True
    best: tuple[int, bool] | None = None
    for row in await _switches():
        if row["plugin"] == name and path.startswith(row["path"]):
            depth = len(row["path"])
            if best is None or depth > best[0]:
                best = (depth, row["enabled"])
    return best[1] if best else default_enabled(name)


async def enabled_plugins_for_path(path: str) -> set[str]:
    return {name for name in plugin_names() if await enabled_for_path(name, path)} | set(DEFAULT_PLUGINS)


async def hook_for_case(hook_name: str, case: dict[str, Any]) -> list[tuple[str, Any]]:
    """(plugin name, hook function) for the plugins on for the case's town, latest first."""
    enabled = await enabled_plugins_for_path(case.get("org_path") or "")
    caller = getattr(get_manager().hook, hook_name)
    return [(impl.plugin_name, _bound(impl)) for impl in reversed(caller.get_hookimpls()) if impl.plugin_name in enabled]


def _bound(impl: Any) -> Any:
    """Call a hook implementation with just the arguments it declares, as pluggy does."""
    names = tuple(impl.argnames) + tuple(getattr(impl, "kwargnames", ()))

    def call(**kwargs: Any) -> Any:
        return impl.function(**{k: v for k, v in kwargs.items() if k in names})

    return call


async def call_first(hook_name: str, scope: dict[str, Any] | None = None, /, **kwargs: Any) -> Any:
    """A firstresult call limited to the plugins on for the town of ``scope`` (a case row)."""
    impls = await hook_for_case(hook_name, scope) if scope is not None else [
        (impl.plugin_name, _bound(impl)) for impl in reversed(getattr(get_manager().hook, hook_name).get_hookimpls())
    ]
    for _name, function in impls:
        result = await await_me_maybe(function(**kwargs))
        if result is not None:
            return result
    return None
