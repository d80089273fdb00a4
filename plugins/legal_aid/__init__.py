"""Legal-aid handoff (法律援助转交): eligibility screening (means test or exempt categories),
a handoff package to the legal-aid centre, accept or decline within a deadline, a lawyer
assigned, the route and the outcome back on the case's timeline; collective wage cases hand
many applicants over at once.

Hook implementations only; each delegates. Bundled, so off until a town turns it on.
See docs/plugins/legal_aid.md.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec

from core import hookimpl
from core.plugins.host import bundled_plugin, translator

# Bundled specialist flows start off; a county administrator turns them on per town.
DEFAULT_ENABLED = False


class Settings(msgspec.Struct):
    """``JIEFEN_PLUGIN_LEGAL_AID_INCOME_THRESHOLD_PER_MEMBER``: the local means-test line, yuan
    a month per household member; ``_DECISION_DAYS``: days the centre has to decide (《法律援助法》
    第四十三条: seven); ``_GRACE_DAYS``: days after the urge before the handoff is returned."""

    income_threshold_per_member: Decimal = Decimal("2000")
    decision_days: int = 7
    grace_days: int = 3


@hookimpl
def roles() -> list[dict[str, Any]]:
    return [{
        "code": "legal_aid_staff", "label_zh": "法律援助中心工作人员", "label_en": "Legal-aid centre staff",
        "description": "Works at a legal-aid centre; sees only the cases handed to it.",
    }]


@hookimpl
def organisation_types() -> list[dict[str, Any]]:
    return [{"code": "legal_aid_centre", "label_zh": "法律援助中心", "label_en": "Legal-aid centre", "tree_level": None}]


@hookimpl
def case_actions(case: dict[str, Any], actor: Any) -> list[dict[str, Any]]:
    from plugins.legal_aid.services import may_screen

    if not may_screen(case, actor):
        return []
    url = f"/admin/plugins/legal_aid/cases/{case['id']}/screen"
    return [{"label": translator("legal_aid", actor.locale)("Legal-aid eligibility screening"), "url": url, "method": "get", "hx_target": "#legal-aid-panel", "confirm": None}]


@hookimpl
async def case_panels(case: dict[str, Any], actor: Any) -> list[dict[str, Any]]:
    from plugins.legal_aid.views import panel

    return [await panel(case, actor)]


@hookimpl
async def dashboard_widgets(organisation: dict[str, Any], actor: Any) -> list[dict[str, Any]]:
    from plugins.legal_aid.views import widget

    return [await widget(organisation, actor)]


# The folder's glue (templates, documents, routes, jobs, cron, messages, navigation, settings,
# anonymisation), each from the module beside this one that serves it.
bundled_plugin(__name__, settings=Settings)
