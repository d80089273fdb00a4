"""评理团 — a village elders' panel that a mediator invites to hear a case.

Hook implementations only; each delegates to ``services``. See docs/plugins.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec

from core import hookimpl

HERE = Path(__file__).parent


class Settings(msgspec.Struct):
    """``JIEFEN_PLUGIN_ELDERS_PANEL_MAX_ELDERS=5`` caps a panel's size."""

    max_elders: int = 7


@hookimpl
def settings_schema() -> type[Settings]:
    return Settings


@hookimpl
def register_routes() -> list[Any]:
    from elders_panel.routes import ROUTES

    return ROUTES


@hookimpl
def template_dirs() -> list[Path]:
    return [HERE / "templates"]


@hookimpl
def admin_nav(actor: Any) -> list[dict[str, Any]]:
    # Shown to these roles, in towns where the plugin is on; the label is translated from locale/.
    return [{"key": "elders", "label": "Elders' panels", "url": "/admin/plugins/elders_panel/elders", "roles": ["mediator", "window_staff"], "order": 45}]


@hookimpl
def case_actions(case: dict[str, Any], actor: Any) -> list[dict[str, Any]]:
    from elders_panel.services import may_invite

    if not may_invite(case, actor):
        return []
    url = f"/admin/plugins/elders_panel/cases/{case['id']}/invite"
    return [{"label": "邀请评理团", "url": url, "method": "post", "hx_target": "#elders_panel", "confirm": "邀请本村评理团参与调解?"}]


@hookimpl
async def case_panels(case: dict[str, Any], actor: Any) -> list[dict[str, Any]]:
    from elders_panel.services import panel

    return [await panel(case, actor)]


@hookimpl
async def veto_transition(case: dict[str, Any], event: str) -> str | None:
    from elders_panel.services import awaiting_panel

    # Declaring mediation failed while the elders have not yet been heard wastes their visit.
    if event == "fail" and await awaiting_panel(case["id"]):
        return "评理团已受邀但尚未评理,请先听取评理团意见"
    return None


@hookimpl
async def case_event(case: dict[str, Any], event: dict[str, Any]) -> None:
    from elders_panel.services import notify_elders

    if event["name"] == "elders_panel.invited":
        await notify_elders(case, event["payload"].get("invitations", []))
