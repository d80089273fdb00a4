"""Turning a plugin on or off for an organisation node and everything below it.

An administrator (role ``admin``) changes switches in their own subtree; the change is seen by
this process at once and by others within ``SWITCH_TTL_SECONDS``, with no restart. Turning a
plugin off only hides it: its tables and rows stay, so turning it back on loses nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from core.actors import Actor
from core.db import write_transaction
from core.errors import Forbidden, NotFound
from core.orgs.tables import Organisation, PluginSwitch
from core.plugins.manager import (
    default_enabled,
    enabled_for_path,
    forget_switches,
    plugin_names,
    source_of,
)

ADMIN_ROLES = frozenset({"admin"})


def ensure_admin(actor: Actor) -> None:
    if not actor.has_any(ADMIN_ROLES):
        raise Forbidden("Only an administrator may change plugin switches.")


def _describe(name: str) -> dict[str, Any]:
    source = source_of(name)
    return {
        "name": name, "version": source.version if source else "", "origin": source.origin if source else "registered",
        "default_enabled": default_enabled(name),
    }


async def list_switches(actor: Actor) -> list[dict[str, Any]]:
    """Each plugin, whether it is on at the actor's organisation, and the switches that bear on
    the actor's subtree (those above it are ``inherited`` and cannot be changed from here)."""
    ensure_admin(actor)
    rows = await PluginSwitch.select(
        PluginSwitch.plugin, PluginSwitch.enabled, PluginSwitch.note, PluginSwitch.changed_by, PluginSwitch.changed_at,
        PluginSwitch.organisation.as_alias("organisation_id"), PluginSwitch.organisation.name.as_alias("organisation_name"),
        PluginSwitch.organisation.path.as_alias("path"),
    ).order_by(PluginSwitch.id)
    own = actor.org_path if not actor.is_system else "/"
    result = []
    for name in sorted(plugin_names()):
        switches = []
        for row in rows:
            if row["plugin"] != name or not row["path"]:
                continue
            below, above = row["path"].startswith(own), own.startswith(row["path"])
            if below or above or actor.is_system:
                switches.append({**row, "inherited": above and row["path"] != own and not actor.is_system})
        result.append({**_describe(name), "enabled_here": await enabled_for_path(name, own), "switches": switches})
    return result


async def set_switch(actor: Actor, plugin: str, org_id: int, enabled: bool | None, note: str = "") -> dict[str, Any]:
    """Turn ``plugin`` on (True) or off (False) for ``org_id`` and below; None removes the switch
    so the node inherits again. Returns the plugin's entry as :func:`list_switches` shows it."""
    ensure_admin(actor)
    if plugin not in plugin_names():
        raise NotFound("Unknown plugin.")
    org = await Organisation.select(Organisation.id, Organisation.path).where(Organisation.id == org_id).first()
    if org is None or not (actor.is_system or actor.covers(org["path"])):
        raise NotFound("Unknown organisation.")
    where = (PluginSwitch.plugin == plugin) & (PluginSwitch.organisation == org_id)
    async with write_transaction():
        if enabled is None:
            await PluginSwitch.delete().where(where)
        elif await PluginSwitch.exists().where(where):
            await PluginSwitch.update(
                {PluginSwitch.enabled: enabled, PluginSwitch.note: note, PluginSwitch.changed_by: actor.user_id, PluginSwitch.changed_at: datetime.now(UTC)}
            ).where(where)
        else:
            await PluginSwitch.insert(
                PluginSwitch(plugin=plugin, organisation=org_id, enabled=enabled, note=note, changed_by=actor.user_id, changed_at=datetime.now(UTC))
            )
    forget_switches()
    return next(entry for entry in await list_switches(actor) if entry["name"] == plugin)
