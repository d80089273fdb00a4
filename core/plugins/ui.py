"""Gathering what plugins show on a page: case actions and panels, dashboard widgets and
document sections, only from the plugins on for that town. One broken plugin never breaks the
page: its panel or widget becomes a notice naming it."""

from __future__ import annotations

import logging
from typing import Any

from markupsafe import escape

from core.actors import Actor
from core.plugins.manager import PluginFailed, await_me_maybe, hook_for_path

log = logging.getLogger("jiefen.plugins")


def _notice(plugin: str, kind: str, locale: str) -> dict[str, Any]:
    from core.i18n import gettext

    text = gettext("The {plugin} plugin could not show this {kind}.", locale, plugin=plugin, kind=gettext(kind, locale))
    return {
        "id": f"plugin-error-{plugin}", "title": plugin, "plugin": plugin, "error": True,
        "html": f'<p class="plugin-error">{escape(text)}</p>',
    }


async def _gather(hook: str, path: str, kind: str | None, **kwargs: Any) -> list[dict[str, Any]]:
    """Each plugin's items tagged with ``plugin``; a raising plugin gives a notice (or nothing
    when ``kind`` is None), logged with its name."""
    items: list[dict[str, Any]] = []
    # Registration order (oldest first) reads better on a page than pluggy's latest-first.
    for plugin, function in reversed(await hook_for_path(hook, path)):
        try:
            result = await await_me_maybe(function(**kwargs))
        except PluginFailed:
            if kind is not None:
                items.append(_notice(plugin, kind, getattr(kwargs.get("actor"), "locale", None) or "zh_CN"))
            continue
        items.extend({**item, "plugin": plugin} for item in result or [])
    return items


async def case_actions(case: dict[str, Any], actor: Actor) -> list[dict[str, Any]]:
    """Buttons plugins add to the case page (a plugin whose hook raises shows none)."""
    return await _gather("case_actions", case.get("org_path") or "", None, case=case, actor=actor)


async def case_panels(case: dict[str, Any], actor: Actor) -> list[dict[str, Any]]:
    return await _gather("case_panels", case.get("org_path") or "", "panel", case=case, actor=actor)


async def case_contributions(case: dict[str, Any], actor: Actor) -> dict[str, list[dict[str, Any]]]:
    """``{"actions": [...], "panels": [...]}`` for the case page."""
    return {"actions": await case_actions(case, actor), "panels": await case_panels(case, actor)}


async def admin_nav(actor: Actor) -> list[dict[str, Any]]:
    """The plugins' navigation entries for ``actor`` (plugins on for the actor's own town),
    only those whose roles the actor holds, labels translated; a raising plugin shows none."""
    from core.plugins.host import translator

    if actor is None or actor.kind != "staff":
        return []
    entries: list[dict[str, Any]] = []
    for plugin, function in reversed(await hook_for_path("admin_nav", actor.org_path or "")):
        try:
            result = await await_me_maybe(function(actor=actor))
        except PluginFailed:
            continue
        _ = translator(plugin, actor.locale)
        for item in result or []:
            if not isinstance(item, dict) or not item.get("url") or not item.get("label"):
                continue
            roles = frozenset(item.get("roles") or ())
            if roles and not actor.has_any(roles):
                continue
            entries.append({
                "key": f"{plugin}:{item.get('key') or item['url']}", "label": _(str(item["label"])), "url": str(item["url"]),
                "order": int(item.get("order") or 100), "plugin": plugin,
            })
    return entries


async def dashboard_widgets(organisation: dict[str, Any], actor: Actor) -> list[dict[str, Any]]:
    """Widgets for a dashboard of ``organisation`` (a row with ``path``)."""
    return await _gather("dashboard_widgets", organisation.get("path") or "", "widget", organisation=organisation, actor=actor)


async def document_sections(document: str, case: dict[str, Any]) -> list[dict[str, Any]]:
    """Extra sections for a case's document. A raising plugin stops the rendering: an
    official document must not go out silently missing a section."""
    sections: list[dict[str, Any]] = []
    for plugin, function in reversed(await hook_for_path("document_sections", case.get("org_path") or "")):
        result = await await_me_maybe(function(document=document, case=case))
        sections.extend({**item, "plugin": plugin} for item in result or [])
    return sections
