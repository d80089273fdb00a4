"""Psychological counselling referral (心理咨询转介): a counsellor pool, referral with consent,
green / yellow / red grading, crisis alert, sessions with private notes, follow-ups, return
to mediation, and a veto on closing a case while a red referral is open.

Hook implementations only; each delegates. Bundled, so off until a town turns it on.
See docs/plugins/psych.md.
"""

from __future__ import annotations

from typing import Any

import msgspec

from core import hookimpl
from core.plugins.host import bundled_plugin, translator

# Bundled specialist flows start off; a county administrator turns them on per town.
DEFAULT_ENABLED = False


class Settings(msgspec.Struct):
    """``JIEFEN_PLUGIN_PSYCH_YELLOW_FOLLOW_UP_DAYS`` / ``_RED_FOLLOW_UP_DAYS``: days between
    follow-ups of a yellow or red referral."""

    yellow_follow_up_days: int = 7
    red_follow_up_days: int = 1


@hookimpl
def roles() -> list[dict[str, Any]]:
    return [{
        "code": "counsellor", "label_zh": "心理咨询师", "label_en": "Counsellor",
        "description": "Works at a counselling station; sees the referrals sent to it and reads their notes.",
    }]


@hookimpl
def organisation_types() -> list[dict[str, Any]]:
    return [{"code": "counselling_station", "label_zh": "心理咨询站", "label_en": "Counselling station", "tree_level": None}]


@hookimpl
def case_actions(case: dict[str, Any], actor: Any) -> list[dict[str, Any]]:
    from plugins.psych.services import may_refer

    if not may_refer(case, actor):
        return []
    url = f"/admin/plugins/psych/cases/{case['id']}/refer"
    return [{"label": translator("psych", actor.locale)("Counselling referral"), "url": url, "method": "get", "hx_target": "#psych-panel", "confirm": None}]


@hookimpl
async def case_panels(case: dict[str, Any], actor: Any) -> list[dict[str, Any]]:
    from plugins.psych.views import panel

    return [await panel(case, actor)]


@hookimpl
async def dashboard_widgets(organisation: dict[str, Any], actor: Any) -> list[dict[str, Any]]:
    from plugins.psych.views import widget

    return [await widget(organisation, actor)]


@hookimpl
async def veto_transition(case: dict[str, Any], event: str, actor: Any) -> str | None:
    from plugins.psych.services import close_veto

    # A party in crisis must not be left alone by closing the case, unless a supervisor says why.
    return await close_veto(case, actor) if event == "close" else None


# The folder's glue (templates, documents, routes, jobs, cron, messages, navigation, settings,
# anonymisation), each from the module beside this one that serves it.
bundled_plugin(__name__, settings=Settings)
