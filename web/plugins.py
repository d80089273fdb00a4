"""Plugin buttons and panels on the case page, gathered by ``core.plugins.ui`` (only the
plugins on for the case's town; a panel that raises becomes a notice naming its plugin)."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from core.actors import Actor
from core.plugins import ui


async def plugin_actions(case: dict[str, Any], actor: Actor) -> list[dict[str, Any]]:
    buttons = []
    for item in await ui.case_actions(case, actor):
        if not isinstance(item, dict) or not item.get("url") or not item.get("label"):
            continue
        buttons.append({
            "plugin": item.get("plugin", ""), "label": str(item["label"]), "url": str(item["url"]),
            "method": "post" if str(item.get("method") or "get").lower() == "post" else "get",
            "hx_target": item.get("hx_target"), "confirm": item.get("confirm"),
        })
    return buttons


async def plugin_panels(case: dict[str, Any], actor: Actor) -> list[dict[str, Any]]:
    panels = []
    for item in await ui.case_panels(case, actor):
        if not isinstance(item, dict):
            continue
        plugin = str(item.get("plugin", ""))
        # The hook's contract: html comes from the plugin's own autoescaped template
        # (and the host's notice for a failed panel is escaped too).
        panels.append({
            "plugin": plugin, "id": str(item.get("id") or f"plugin-{plugin}"), "title": str(item.get("title") or plugin),
            "html": Markup(str(item.get("html") or "")), "failed": bool(item.get("error")),
        })
    return panels
