"""Everything the case page shows, gathered in one place."""

from __future__ import annotations

import json
from typing import Any

from core.actors import Actor
from core.auth.tables import StaffUser
from core.cases.access import may_reveal, restricted
from core.cases.dispatch import ASSOCIATION, suggest_mediators
from core.cases.lifecycle import LEAD, allowed_events
from core.cases.service import get_case
from core.cases.tables import (
    RISK_LEVELS,
    Agreement,
    CaseEvent,
    CaseUnit,
    Deadline,
    Evidence,
    FollowUp,
    MediationSession,
    Party,
)
from core.cases.timeline import join_remarks
from core.cases.views import masked_party
from core.i18n import gettext
from core.orgs.tables import Organisation
from core.plugins.manager import call_first
from web import queries
from web.actions import BLANK_TERM, BUTTON_ONLY, MAIN, ordered
from web.plugins import plugin_actions, plugin_panels

TREE_TYPES = ("county", "town", "village", "grid")
# What a timeline entry shows from its payload, in this order.
PAYLOAD_TEXT = ("reason", "text", "message", "result", "note", "rule")
RESTRICTED_NOTICE = (
    "This case involves private matters (marriage and family, medical, minors …): its details are shown only to the people handling it."
)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


async def case_context(
    case_id: int, actor: Actor, *, revealed: dict[int, dict[str, Any]] | None = None,
    error: dict[str, str] | None = None, values: dict[str, str] | None = None, open_event: str = "",
    terms: list[dict[str, str]] | None = None, done: str = "",
) -> dict[str, Any]:
    case = await get_case(case_id, actor)
    cid = case["id"]
    allowed = ordered(allowed_events(case, actor))
    types = await queries.dispute_types(active_only=False)

    parties = []
    for p in await Party.select().where(Party.case == cid).order_by(Party.id):
        shown = masked_party(p)
        shown["address"] = ""
        if revealed and p["id"] in revealed:
            shown.update(revealed[p["id"]], revealed=True)
        parties.append(shown)

    evidence = await Evidence.select(
        Evidence.id, Evidence.filename, Evidence.content_type, Evidence.size, Evidence.description, Evidence.uploaded_at,
        Evidence.uploaded_by.display_name.as_alias("uploaded_by_name"), Evidence.uploaded_by_party,
    ).where(Evidence.case == cid).order_by(Evidence.id)
    deadlines = await Deadline.select().where(Deadline.case == cid).order_by(Deadline.due_at)
    sessions = await MediationSession.select().where(MediationSession.case == cid).order_by(MediationSession.scheduled_at).output(load_json=True)
    agreement = await Agreement.select().where(Agreement.case == cid).order_by(Agreement.revision, ascending=False).output(load_json=True).first()
    follow_ups = await FollowUp.select(*FollowUp.all_columns(), FollowUp.by.display_name.as_alias("by_name")).where(FollowUp.case == cid).order_by(FollowUp.id)
    units = await CaseUnit.select(
        CaseUnit.role, CaseUnit.active, CaseUnit.organisation, CaseUnit.organisation.name.as_alias("name"),
    ).where((CaseUnit.case == cid) & (CaseUnit.active == True)).order_by(CaseUnit.id)  # noqa: E712
    events = await CaseEvent.select(
        CaseEvent.id, CaseEvent.seq, CaseEvent.name, CaseEvent.from_state, CaseEvent.to_state, CaseEvent.at, CaseEvent.payload,
        CaseEvent.actor_label, CaseEvent.actor.display_name.as_alias("actor_name"),
    ).where(CaseEvent.case == cid).order_by(CaseEvent.seq, ascending=False)
    await join_remarks(events)
    for e in events:
        payload = _json(e["payload"]) or {}
        e["text"] = next((str(payload[k]) for k in PAYLOAD_TEXT if payload.get(k)), "")
        e["payload"] = payload

    if restricted(actor, case):
        # A sensitive case seen by someone not handling it: what it is and where it stands, no
        # one in it and nothing anyone wrote about them.
        from core.cases.views import hidden_party
        from core.privacy.sensitive import mask_payload, placeholder

        case = {**case, "title": placeholder(actor.locale), "description": placeholder(actor.locale), "preferred_place": "", "preferred_time": "", "failure_advice": ""}
        parties = [{**hidden_party(p, actor.locale), "address": ""} for p in await Party.select().where(Party.case == cid).order_by(Party.id)]
        evidence, agreement, follow_ups = [], None, []
        sessions = [{**s, "record": "", "place": "", "attendees": []} for s in sessions]
        for e in events:
            e["payload"] = mask_payload(e["payload"])
            e["text"] = ""
    if "uphold" in allowed and _last_move(events) != "return":
        allowed.remove("uphold")  # upholding answers a return (退单) and nothing else
    # One choice per assisting unit (a unit invited twice is still one unit to release).
    assisting = list({u["organisation"]: u for u in units if u["role"] == "assisting"}.values())
    if not assisting and "release_assisting_unit" in allowed:
        allowed.remove("release_assisting_unit")
    if not any(s["status"] == "scheduled" for s in sessions):
        allowed = [e for e in allowed if e not in ("record_session", "cancel_session")]
    main = [e for e in allowed if e in MAIN]
    if case["first_contact_at"] and "first_contact" in main:
        main.remove("first_contact")  # done once; a later contact is under "more"
    ctx: dict[str, Any] = {
        "case": case, "parties": parties, "evidence": evidence, "deadlines": deadlines, "sessions": sessions,
        "scheduled": [s for s in sessions if s["status"] == "scheduled"], "agreement": agreement,
        "follow_ups": follow_ups, "units": units, "assisting": assisting, "events": events, "allowed": allowed, "button_only": BUTTON_ONLY,
        "main_actions": main, "more_actions": [e for e in allowed if e not in main],
        "may_reveal": may_reveal(actor, case), "restricted": restricted(actor, case),
        "restricted_notice": gettext(RESTRICTED_NOTICE, actor.locale), "type_label": queries.type_label(types, actor.locale),
        "types": [t for t in types if t["active"]], "risks": RISK_LEVELS,
        "error": error or {}, "values": values or {}, "open_event": open_event, "done": done,
        "terms": terms or _terms_from(agreement) or [dict(BLANK_TERM)],
        "can_upload": case["state"] not in ("rejected", "withdrawn", "closed"),
        "plugin_actions": await plugin_actions(case, actor), "plugin_panels": await plugin_panels(case, actor),
    }
    if "dispatch" in allowed or "redispatch" in allowed:
        ctx.update(await _dispatch_choices(case))
    if "own" in allowed:
        ctx["leaders"] = await _people(case["org_path"], LEAD)
    if "add_assisting_unit" in allowed:
        assisting_ids = {u["organisation"] for u in assisting}
        ctx["bodies"] = [b for b in await _bodies(case["org_path"]) if b["id"] not in assisting_ids]
    return ctx


def _last_move(events: list[dict[str, Any]]) -> str:
    """The name of the latest event that changed the state (events are newest first)."""
    return next((e["name"] for e in events if e["to_state"] and e["to_state"] != e["from_state"]), "")


def _terms_from(agreement: dict[str, Any] | None) -> list[dict[str, str]]:
    """A new agreement starts from the last one's terms (after a reopen)."""
    if not agreement:
        return []
    out = []
    for t in agreement.get("terms") or []:
        out.append({k: "" if t.get(k) is None else str(t.get(k)) for k in BLANK_TERM})
    return out


async def _dispatch_choices(case: dict[str, Any]) -> dict[str, Any]:
    suggestions = await suggest_mediators(case)
    try:
        rule = await call_first("dispatch_target", case, case=case)
    except Exception:  # noqa: BLE001 - the preview is a hint; dispatching still checks
        rule = None
    rule_org = None
    if rule:
        rule_org = await Organisation.select(Organisation.name).where(Organisation.id == rule.get("organisation_id")).first()
    return {
        "suggestions": suggestions, "rule": rule, "rule_org": rule_org["name"] if rule_org else "",
        # Not the associations: a case reaches one by a transfer (plugins/industry_assoc), and
        # dispatching to one is refused (core.cases.dispatch.ensure_may_receive).
        "pool_bodies": [b for b in await _bodies(case["org_path"]) if b["type_code"] != ASSOCIATION],
        "handlers": [p for p in await _people(case["org_path"], frozenset({"handler", "mediator"})) if p["org_type"] != ASSOCIATION],
    }


async def _bodies(path: str) -> list[dict[str, Any]]:
    """Handling bodies (committees, departments …) in the case's level and below."""
    rows = await Organisation.select(Organisation.id, Organisation.name, Organisation.type_code).where(
        Organisation.path.like(path + "%") & (Organisation.active == True)  # noqa: E712
    ).order_by(Organisation.path)
    return [r for r in rows if r["type_code"] not in TREE_TYPES]


async def _people(path: str, roles: frozenset[str]) -> list[dict[str, Any]]:
    rows = await StaffUser.select(
        StaffUser.id, StaffUser.display_name, StaffUser.roles, StaffUser.organisation.name.as_alias("org_name"),
        StaffUser.organisation.type_code.as_alias("org_type"),
    ).where(StaffUser.organisation.path.like(path + "%") & (StaffUser.active == True)).output(load_json=True)  # noqa: E712
    return [r for r in rows if set(r["roles"] or []) & roles]
