"""Plugin settings: a ``msgspec.Struct`` per plugin, read from ``JIEFEN_PLUGIN_<NAME>_<FIELD>``
and checked when the app starts, so a typo stops the start instead of a case later."""

from __future__ import annotations

import contextlib
import os
import re
from typing import Any

import msgspec

from core.plugins.manager import PluginFailed, collect
from core.settings import SettingsError

_values: dict[str, Any] | None = None


class PluginSettingsError(SettingsError):
    """Bad plugin settings stop the process with a message naming the variable."""


def env_name(plugin: str, field: str) -> str:
    return f"JIEFEN_PLUGIN_{plugin.upper()}_{field.upper()}"


def _read(plugin: str, schema: Any) -> Any:
    raw: dict[str, Any] = {}
    for field in msgspec.structs.fields(schema):
        value = os.environ.get(env_name(plugin, field.encode_name))
        if value is None:
            continue
        # Lists and mappings are given as JSON; everything else as plain text.
        if value.lstrip().startswith(("[", "{")):
            with contextlib.suppress(msgspec.DecodeError):
                value = msgspec.json.decode(value)
        raw[field.encode_name] = value
    try:
        return msgspec.convert(raw, schema, strict=False)
    except msgspec.ValidationError as exc:
        raise PluginSettingsError(_explain(plugin, schema, str(exc))) from None


def _explain(plugin: str, schema: Any, message: str) -> str:
    missing = re.search(r"missing required field `(\w+)`", message)
    at = re.search(r"at `\$\.(\w+)", message)
    field = (missing or at).group(1) if (missing or at) else None
    where = env_name(plugin, field) if field else f"JIEFEN_PLUGIN_{plugin.upper()}_*"
    why = "is required but not set" if missing else message.split(" - at ")[0]
    return f"Jiefen cannot start: bad settings for plugin {plugin}\n  {where}: {why}"


def load_all() -> dict[str, Any]:
    """Validate every plugin's settings; raises :class:`PluginSettingsError` on the first bad one."""
    global _values
    values: dict[str, Any] = {}
    try:
        schemas = collect("settings_schema")
    except PluginFailed as exc:
        raise PluginSettingsError(f"Jiefen cannot start: {exc}") from None
    for plugin, schema in schemas:
        if not (isinstance(schema, type) and issubclass(schema, msgspec.Struct)):
            raise PluginSettingsError(f"Jiefen cannot start: plugin {plugin}: settings_schema must return a msgspec.Struct type")
        values[plugin] = _read(plugin, schema)
    _values = values
    return values


def plugin_settings(plugin: str) -> Any:
    """The validated settings object of ``plugin`` (None when it declares none)."""
    if _values is None:
        load_all()
    assert _values is not None
    return _values.get(plugin)


def forget() -> None:
    global _values
    _values = None
