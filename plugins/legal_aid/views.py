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
from plugins.legal_aid import eligibility, services
from plugins.legal_aid.tables import Handoff, Screening

STATUS = {"pending": "待中心决定", "accepted": "已受理", "declined": "中心不予受理", "returned": "逾期未决定,已退回", "concluded": "已办结"}
ROUTES = {"arbitration": "劳动仲裁", "litigation": "诉讼", "payment_order": "支付令", "other": "其他"}
OUTCOMES = {"won": "支持诉求", "settled": "调解或和解", "partly": "部分支持", "lost": "未获支持", "withdrawn": "撤回", "other": "其他"}
RESULTS = {"eligible": "符合条件", "not_eligible": "不符合条件"}
LABELS = {"status": STATUS, "route": ROUTES, "outcome": OUTCOMES, "result": RESULTS, "matter": eligibility.MATTERS, "exempt": eligibility.EXEMPT}


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


def _ctx(**extra: Any) -> dict[str, Any]:
    return {"labels": LABELS, "local": local, **extra}


async def panel(case: dict[str, Any], actor: Actor, *, form: str = "", error: str = "") -> dict[str, Any]:
    data = await for_case(case, actor)
    html = render_template("legal_aid/panel.html", **_ctx(case=case, form=Markup(form), error=error, **data))
    return {"id": "legal_aid", "title": "法律援助转交", "html": html}


async def screen_form(case: dict[str, Any], error: str = "") -> str:
    parties = [p for p in (await _parties(case["id"])).values() if p["role"] == "applicant"]
    people = [{"id": p["id"], "name": p["name"] if p["kind"] == "company" else mask_name(p["name"])} for p in sorted(parties, key=lambda p: p["id"])]
    return render_template("legal_aid/screen_form.html", **_ctx(case=case, parties=people, error=error, threshold=services.threshold()))


async def handoff_form(case: dict[str, Any], actor: Actor, error: str = "") -> str:
    data = await for_case(case, actor)
    busy = {a["screening_id"] for h in data["handoffs"] if h["status"] in ("pending", "accepted") for a in h["applicants"]}
    eligible = [s for s in data["screenings"] if s["result"] == Screening.Result.eligible and s["id"] not in busy]
    return render_template(
        "legal_aid/handoff_form.html", **_ctx(case=case, eligible=eligible, centres=data["centres"], error=error, may_pause=case["state"] == "in_mediation")
    )


async def centre_page(actor: Actor, csrf: str) -> str:
    return render_template("legal_aid/centre.html", **_ctx(handoffs=await services.centre_handoffs(actor), csrf=csrf))


async def handoff_page(handoff_id: int, actor: Actor, csrf: str, *, fragment: bool = False, error: str = "") -> str:
    view = await for_centre(handoff_id, actor)
    return render_template(
        "legal_aid/handoff.html", **_ctx(h=view, csrf=csrf, fragment=fragment, error=error, pending=view["status"] == Handoff.Status.pending)
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
    return {"id": "legal_aid", "title": "法律援助转交", "html": render_template("legal_aid/widget.html", counts=counts)}
