"""Industry-association mediation (行业协会调解): a registry of associations with the dispute
types and areas they take and their mediators; transfer a case to one; its staff accept or
decline within a deadline (no answer: back to the centre, urged); the association mediates
with the core's own tools under its own seal and the outcome comes back; suggestions and
statistics per association.

Hook implementations only; each delegates. See docs/plugins/industry_assoc.md.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from core import hookimpl
from core.plugins.host import bundled_plugin

# Bundled specialist flows start off; a county administrator turns them on per town.
DEFAULT_ENABLED = False


class Settings(msgspec.Struct):
    """``JIEFEN_PLUGIN_INDUSTRY_ASSOC_ANSWER_WORKING_DAYS=3``: working days an association has to
    accept or decline a transfer (an association's own setting in the registry wins)."""

    answer_working_days: Annotated[int, msgspec.Meta(ge=1, le=30)] = 3


@hookimpl
def roles() -> list[dict[str, Any]]:
    return [{
        "code": "association_staff", "label_zh": "行业协会工作人员", "label_en": "Industry association staff",
        "description": "Accepts or declines the cases transferred to their association and reports the outcome.",
    }]


@hookimpl
async def case_actions(case: dict[str, Any], actor: Any) -> list[dict[str, Any]]:
    from plugins.industry_assoc.views import actions

    return await actions(case, actor)


@hookimpl
async def case_panels(case: dict[str, Any], actor: Any) -> list[dict[str, Any]]:
    from plugins.industry_assoc.views import panel

    return await panel(case, actor)


@hookimpl
async def dashboard_widgets(organisation: dict[str, Any], actor: Any) -> list[dict[str, Any]]:
    from plugins.industry_assoc.views import widget

    return [await widget(organisation, actor)]


@hookimpl
async def veto_transition(case: dict[str, Any], event: str, actor: Any, data: Any) -> str | None:
    from plugins.industry_assoc.services import veto

    return await veto(case, event, actor, data)


@hookimpl
async def case_event(case: dict[str, Any], event: dict[str, Any]) -> None:
    from plugins.industry_assoc.services import on_event

    await on_event(case, event)


# The folder's glue (templates, documents, routes, jobs, cron, messages, navigation, settings,
# anonymisation), each from the module beside this one that serves it.
bundled_plugin(__name__, settings=Settings)
