"""The handoff package: a case summary PDF through the document pipeline, with the parties,
the facts, the evidence list and the mediation history (the core's own actions only: another
plugin's steps, a counselling referral say, are not the legal-aid centre's business)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from core.cases.lifecycle import TRANSITIONS
from core.cases.tables import CaseEvent, Evidence, MediationSession, Party
from core.cases.timeline import join_remarks
from core.i18n import label
from core.orgs.tables import Organisation
from core.roster.tables import DisputeType
from plugins.legal_aid import eligibility

TEMPLATE = "legal_aid/handoff"
ROLE_LABELS = {"applicant": "申请人", "respondent": "被申请人", "third_party": "第三人"}
OWN_EVENTS = {
    "legal_aid.screened": "法律援助资格筛查", "legal_aid.handed_off": "转交法律援助中心",
}


def _loads(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else (value or {})


def _local(moment: Any) -> Any:
    """Documents print the town's local time (times are stored in UTC)."""
    from core.settings import get_settings

    return moment.astimezone(get_settings().zone) if isinstance(moment, datetime) else moment


async def context(case: dict[str, Any], centre: dict[str, Any], screenings: list[dict[str, Any]], note: str, due_at: datetime) -> dict[str, Any]:
    parties = await Party.select().where(Party.case == case["id"]).order_by(Party.id)
    by_id = {p["id"]: p for p in parties}
    issuer_id = case.get("assigned_org") or case["org"]
    issuer = await Organisation.select(Organisation.name, Organisation.phone, Organisation.address).where(Organisation.id == issuer_id).first()
    dtype = await DisputeType.select(DisputeType.label_zh).where(DisputeType.code == case["dispute_type"]).first()
    applicants = []
    for s in screenings:
        party = by_id.get(s["party_id"]) if s["party_id"] else None
        answers = _loads(s["answers"])
        applicants.append({
            "name": party["name"] if party else s["name"], "id_number": party["id_number"] if party else s["id_number"],
            "phone": party["phone"] if party else s["phone"], "claim_amount": s["claim_amount"],
            "matter": eligibility.MATTERS.get(answers.get("matter"), ""),
            "basis": "免予经济困难审查" if s["basis"] == "exempt" else "经济困难审查", "reason": s["reason"],
        })
    evidence = await Evidence.select(Evidence.filename, Evidence.description, Evidence.uploaded_at, Evidence.sha256, Evidence.uploaded_by_party).where(
        Evidence.case == case["id"]
    ).order_by(Evidence.id)
    events = await join_remarks(
        await CaseEvent.select(CaseEvent.id, CaseEvent.name, CaseEvent.at, CaseEvent.payload).where(CaseEvent.case == case["id"]).order_by(CaseEvent.seq)
    )
    history = []
    for e in events:
        if e["name"] in TRANSITIONS or e["name"] == "submit":
            text = "登记" if e["name"] == "submit" else label("event", e["name"], "zh_CN")
        elif e["name"] in OWN_EVENTS:
            text = OWN_EVENTS[e["name"]]
        else:
            continue
        history.append({"at": _local(e["at"]), "what": text, "note": (_loads(e["payload"]).get("note") or "")[:200]})
    sessions = await MediationSession.select(MediationSession.scheduled_at, MediationSession.place, MediationSession.status).where(
        MediationSession.case == case["id"]
    ).order_by(MediationSession.scheduled_at)
    return {
        "committee": {"name": issuer["name"] if issuer else case.get("org_name", ""), "phone": (issuer or {}).get("phone", ""), "address": (issuer or {}).get("address", "")},
        "case_no": case["number"],
        "centre": {"name": centre["name"]},
        "sent_on": _local(datetime.now(UTC)), "due_on": _local(due_at), "note": note,
        "case": {
            "title": case["title"], "dispute_type": dtype["label_zh"] if dtype else case["dispute_type"],
            "description": case["description"], "amount": case["amount"], "submitted_at": _local(case["submitted_at"]),
            "state": label("state", case["state"], "zh_CN"), "collective": case["is_collective"],
        },
        "applicants": applicants,
        "total_claim": sum((a["claim_amount"] or 0) for a in applicants) or None,
        "others": [
            {"role": ROLE_LABELS.get(p["role"], p["role"]), "name": p["name"], "phone": p["phone"], "kind": p["kind"],
             "represented_count": p["represented_count"]}
            for p in parties
        ],
        "evidence": [{**e, "uploaded_at": _local(e["uploaded_at"]), "sha256": e["sha256"][:16]} for e in evidence],
        "history": history,
        "sessions": [{**s, "scheduled_at": _local(s["scheduled_at"]), "status": {"scheduled": "已安排", "held": "已举行", "cancelled": "已取消"}.get(s["status"], s["status"])} for s in sessions],
    }


async def render(ctx: dict[str, Any]) -> tuple[bytes, str]:
    """The PDF and its SHA-256 (WeasyPrint in a worker thread)."""
    from core.documents import render_pdf_async

    pdf = await render_pdf_async(TEMPLATE, ctx)
    return pdf, hashlib.sha256(pdf).hexdigest()
