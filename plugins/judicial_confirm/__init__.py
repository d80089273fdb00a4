"""Court judicial confirmation (司法确认): after an agreement takes effect the parties may apply
jointly within 30 days to the basic court where the committee sits. The plugin tracks the window
(reminders before it closes), records each party's consent, renders the application through
the document pipeline, lets the court's clerks record acceptance (调确字 number) and the ruling
(confirmed: enforceable; rejected: mediation again or a lawsuit), attaches the ruling, exports
the application as one ZIP, and keeps anyone from applying after the window (unless the court
accepts anyway).

Hook implementations only; each delegates. See docs/plugins/judicial_confirm.md.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from core import hookimpl
from core.plugins.host import bundled_plugin

# Bundled specialist flows start off; a county administrator turns them on per town.
DEFAULT_ENABLED = False


class Settings(msgspec.Struct):
    """``JIEFEN_PLUGIN_JUDICIAL_CONFIRM_WINDOW_DAYS=30`` (the law's 30 days from the agreement
    taking effect), ``…_REMINDER_DAYS=[7, 2]`` (days before the window closes),
    ``…_ACCEPTANCE_DAYS=3`` (the court's days to decide whether to accept)."""

    window_days: Annotated[int, msgspec.Meta(ge=1, le=365)] = 30
    reminder_days: list[Annotated[int, msgspec.Meta(ge=1, le=60)]] = msgspec.field(default_factory=lambda: [7, 2])
    acceptance_days: Annotated[int, msgspec.Meta(ge=1, le=30)] = 3


@hookimpl
def roles() -> list[dict[str, Any]]:
    return [{
        "code": "court_clerk", "label_zh": "法院书记员", "label_en": "Court clerk",
        "description": "Records the court's acceptance of applications for judicial confirmation to their court, and its rulings.",
    }]


@hookimpl
async def case_actions(case: dict[str, Any], actor: Any) -> list[dict[str, Any]]:
    from plugins.judicial_confirm.views import actions

    return await actions(case, actor)


@hookimpl
async def case_panels(case: dict[str, Any], actor: Any) -> list[dict[str, Any]]:
    from plugins.judicial_confirm.views import panel

    return await panel(case, actor)


@hookimpl
async def dashboard_widgets(organisation: dict[str, Any], actor: Any) -> list[dict[str, Any]]:
    from plugins.judicial_confirm.views import widget

    return [await widget(organisation, actor)]


@hookimpl
async def veto_transition(case: dict[str, Any], event: str, actor: Any) -> str | None:
    from plugins.judicial_confirm.services import veto

    return await veto(case, event, actor)


@hookimpl
async def reopen_ground(case: dict[str, Any]) -> str | None:
    from plugins.judicial_confirm.services import reopen_ground

    return await reopen_ground(case)


@hookimpl
async def case_event(case: dict[str, Any], event: dict[str, Any]) -> None:
    from plugins.judicial_confirm.services import on_event

    await on_event(case, event)


# The folder's glue (templates, documents, routes, jobs, cron, messages, navigation, settings,
# anonymisation), each from the module beside this one that serves it.
bundled_plugin(__name__, settings=Settings)
