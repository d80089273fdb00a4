"""What the case side and the centre see, and the panel and centre pages built from it.

The case side sees applicants as the case page shows parties (masked names, phones and ID
numbers); the centre sees the applicants it must help in full, and nothing of any case that
was not handed to it."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from core.cases.access import mask_id_number, mask_name, mask_phone
from core.cases.tables import Party
from core.orgs.tables import Organisation
from core.plugins import Actor, render_template
from core.plugins.host import translator
from core.plugins.web import page
from plugins.legal_aid import services
from plugins.legal_aid.services import PLUGIN
from plugins.legal_aid.tables import Handoff, Screening

# English message ids, shown in the user's language through the plugin's catalogue (locale/).
STATUS = {
    "pending": "Waiting for the centre", "accepted": "Accepted", "declined": "Refused by the centre",
    "returned": "Returned: no decision in time", "concluded": "Concluded",
}
ROUTES = {"arbitration": "Labour arbitration", "litigation": "Lawsuit", "payment_order": "Payment order", "other": "Other"}
OUTCOMES = {
    "won": "Claim upheld", "settled": "Mediated or settled", "partly": "Partly upheld", "lost": "Claim not upheld",
    "withdrawn": "Withdrawn", "other": "Other",
}
RESULTS = {"eligible": "Eligible", "not_eligible": "Not eligible"}
MATTERS = {
    "labour_pay": "Payment of wages", "work_injury": "Compensation for a work injury",
    "social_insurance": "Social insurance benefits or social assistance", "support": "Support for parents, children or a spouse",
    "state_compensation": "State compensation",
    "personal_injury": "Compensation for personal injury (traffic, medical, pollution …)",
    "family_rights": "Rights of a victim of abuse, abandonment or domestic violence", "other": "Other matters",
}
EXEMPT = {
    "migrant_worker_wages": "A migrant worker claiming wages", "migrant_worker_injury": "A migrant worker claiming work-injury compensation",
    "martyr_relatives": "A hero's or martyr's close relative defending their honour",
    "good_samaritan": "Claims arising from a good-Samaritan act", "wrongful_conviction": "State compensation after acquittal on retrial",
    "domestic_violence": "A victim of abuse, abandonment or domestic violence",
}
LABELS = {"status": STATUS, "route": ROUTES, "outcome": OUTCOMES, "result": RESULTS, "matter": MATTERS, "exempt": EXEMPT}

def local(moment: Any, with_time: bool = False) -> str:
    from datetime import datetime

    from core.settings import get_settings

    if not isinstance(moment, datetime):
        return str(moment or "")
    return moment.astimezone(get_settings().zone).strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")


async def _parties(case_id: int) -> dict[int, dict[str, Any]]:
    return {p["id"]: p for p in await Party.select(Party.id, Party.name, Party.kind, Party.phone, Party.id_number, Party.role).where(Party.case == case_id)}


def _person(row: dict[str, Any], parties: dict[int, dict[str, Any]], full: bool) -> dict[str, str]:
    party = parties.get(row["party_id"]) if row.get("party_id") else None
    name, phone, id_number = (party["name"], party["phone"], party["id_number"]) if party else (row["name"], row["phone"], row["id_number"])
    if full or (party and party["kind"] == "company"):
        return {"name": name, "phone": phone, "id_number": id_number}
    return {"name": mask_name(name), "phone": mask_phone(phone), "id_number": mask_id_number(id_number)}


def _screening(row: dict[str, Any], parties: dict[int, dict[str, Any]], full: bool) -> dict[str, Any]:
    return {
        "id": row["id"], "party_id": row["party_id"], **_person(row, parties, full), "claim_amount": row["claim_amount"],
        "answers": row["answers"], "result": row["result"], "basis": row["basis"], "reason_code": row["reason_code"],
        "reason": row["reason"], "threshold": row["threshold"], "income_per_member": row["income_per_member"],
        "screened_at": row["screened_at"],
    }


def _handoff(row: dict[str, Any], centres: dict[int, str], applicants: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": row["id"], "case_id": row["case_id"], "centre": {"id": row["centre_id"], "name": centres.get(row["centre_id"], "")},
        "status": row["status"], "paused_case": row["paused_case"], "note": row["note"], "sent_at": row["sent_at"],
        "due_at": row["due_at"], "urged_at": row["urged_at"], "returned_at": row["returned_at"], "decided_at": row["decided_at"],
        "decline_reason": row["decline_reason"],
        "lawyer": {"name": row["lawyer_name"], "phone": row["lawyer_phone"], "firm": row["lawyer_firm"], "at": row["lawyer_assigned_at"]} if row["lawyer_name"] else None,
        "route": row["route"], "outcome": row["outcome"], "outcome_amount": row["outcome_amount"], "outcome_note": row["outcome_note"],
        "concluded_at": row["concluded_at"], "applicants": applicants,
    }


async def _centre_names(ids: list[int]) -> dict[int, str]:
    return {o["id"]: o["name"] for o in await Organisation.select(Organisation.id, Organisation.name).where(Organisation.id.is_in(ids or [-1]))}


async def for_case(case: dict[str, Any], actor: Actor) -> dict[str, Any]:
    parties = await _parties(case["id"])
    screenings = [_screening(s, parties, False) for s in await services.screenings_of(case["id"])]
    rows = await services.handoffs_of(case["id"])
    applicants = await services.applicants_of([r["id"] for r in rows])
    centres = await _centre_names([r["centre_id"] for r in rows])
    handoffs = [
        _handoff(r, centres, [{"screening_id": a["screening"], **_person(a, parties, False), "claim_amount": a["claim_amount"]} for a in applicants if a["handoff"] == r["id"]])
        for r in rows
    ]
    may = services.may_screen(case, actor)
    return {
        "screenings": screenings, "handoffs": handoffs, "may_screen": may,
        "may_hand_off": may and case["state"] in services.HANDABLE,
        "centres": [{"id": c["id"], "name": c["name"]} for c in await services.centres_for(case)] if may else [],
    }


async def for_centre(handoff_id: int, actor: Actor) -> dict[str, Any]:
    """One handoff for its centre: the applicants in full, the case's essentials, no more."""
    row, case = await services.for_centre(handoff_id, actor)
    parties = await _parties(case["id"])
    applicants = [
        {"screening_id": a["screening"], **_person(a, parties, True), "claim_amount": a["claim_amount"], "basis": a["basis"], "reason": a["reason"]}
        for a in await services.applicants_of([handoff_id])
    ]
    view = _handoff(row, await _centre_names([row["centre_id"]]), applicants)
    view["case"] = {
        "number": case["number"], "dispute_type": case["dispute_type"], "title": case["title"], "description": case["description"],
        "amount": case["amount"], "is_collective": case["is_collective"],
        "respondents": [{"name": p["name"], "phone": p["phone"]} for p in parties.values() if p["role"] == "respondent"],
    }
    view["package_sha256"] = (await services.package_of(handoff_id))["sha256"]
    return view


# ---------------------------------------------------------------- HTML


def _ctx(actor: Actor, **extra: Any) -> dict[str, Any]:
    _ = translator(PLUGIN, actor.locale)
    labels = {kind: {code: _(text) for code, text in values.items()} for kind, values in LABELS.items()}
    return {"labels": labels, "local": local, "_": _, "locale": actor.locale, **extra}


async def panel(case: dict[str, Any], actor: Actor, *, form: str = "", error: str = "") -> dict[str, Any]:
    data = await for_case(case, actor)
    html = render_template("legal_aid/panel.html", **_ctx(actor, case=case, form=Markup(form), error=error, **data))
    return {"id": "legal_aid", "title": translator(PLUGIN, actor.locale)("Legal-aid handoff"), "html": html}


async def screen_form(case: dict[str, Any], actor: Actor, error: str = "") -> str:
    parties = [p for p in (await _parties(case["id"])).values() if p["role"] == "applicant"]
    people = [{"id": p["id"], "name": p["name"] if p["kind"] == "company" else mask_name(p["name"])} for p in sorted(parties, key=lambda p: p["id"])]
    return render_template("legal_aid/screen_form.html", **_ctx(actor, case=case, parties=people, error=error, threshold=services.threshold()))


async def handoff_form(case: dict[str, Any], actor: Actor, error: str = "") -> str:
    data = await for_case(case, actor)
    busy = {a["screening_id"] for h in data["handoffs"] if h["status"] in ("pending", "accepted") for a in h["applicants"]}
    eligible = [s for s in data["screenings"] if s["result"] == Screening.Result.eligible and s["id"] not in busy]
    return render_template(
        "legal_aid/handoff_form.html", **_ctx(actor, case=case, eligible=eligible, centres=data["centres"], error=error, may_pause=case["state"] == "in_mediation")
    )


async def centre_page(request: Any, actor: Actor) -> Any:
    return await page(request, actor, "legal_aid/centre.html", **_ctx(actor, handoffs=await services.centre_handoffs(actor)))


async def handoff_page(request: Any, handoff_id: int, actor: Actor, *, error: str = "") -> Any:
    """The whole page, or (HTMX) its ``main`` block; an error keeps the page, status 400."""
    from core.plugins.web import is_htmx

    view = await for_centre(handoff_id, actor)
    return await page(
        request, actor, "legal_aid/handoff.html", status=400 if error else 200,
        **_ctx(actor, h=view, fragment=is_htmx(request), error=error, pending=view["status"] == Handoff.Status.pending),
    )


async def widget(organisation: dict[str, Any], actor: Actor) -> dict[str, Any]:
    """A dashboard's handoffs in the organisation's subtree: waiting, overdue, with a lawyer."""
    from datetime import UTC, datetime

    from core.cases.tables import Case

    rows = await Handoff.select(Handoff.case_id, Handoff.status, Handoff.due_at).where(Handoff.status.is_in(list(services.ACTIVE)))
    inside = {c["id"] for c in await Case.select(Case.id).where(
        Case.id.is_in([r["case_id"] for r in rows] or [-1]) & Case.org_path.like((organisation.get("path") or "") + "%")
    )}
    mine = [r for r in rows if r["case_id"] in inside]
    now = datetime.now(UTC)
    counts = {
        "pending": sum(1 for r in mine if r["status"] == "pending"),
        "overdue": sum(1 for r in mine if r["status"] == "pending" and r["due_at"] <= now),
        "accepted": sum(1 for r in mine if r["status"] == "accepted"),
    }
    html = render_template("legal_aid/widget.html", **_ctx(actor, counts=counts))
    return {"id": "legal_aid", "title": translator(PLUGIN, actor.locale)("Legal-aid handoff"), "html": html}
