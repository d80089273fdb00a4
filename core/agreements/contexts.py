"""From case rows to the document templates' contexts (``core.documents.schemas``).

Dates are turned into local dates here; every text value stays plain text (the templates
escape it). The agreement is rendered from its frozen snapshot, never from live rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from core import clock
from core.agreements import images
from core.agreements.content import (
    case_parties,
    content_hash,
    issuing_committee,
    load_json,
    mediator_of,
)
from core.agreements.tables import AgreementSignature, CommitteeSeal
from core.cases.tables import Agreement, CaseEvent, Evidence, MediationSession
from core.cases.timeline import join_remarks
from core.errors import Conflict, NotFound
from core.orgs.tables import Organisation
from core.roster.tables import DisputeType
from core.settings import get_settings

ROLE_ZH = {"applicant": "申请人", "respondent": "被申请人", "third_party": "第三人"}
GENDER_ZH = {"male": "男", "female": "女"}
MODE_ZH = {"in_person": "现场调解", "video": "视频调解"}
TITLES = {"agreement": "人民调解协议书", "receipt": "受理回执", "record": "调解笔录", "failure_notice": "告知书", "case_file": "卷宗"}


@dataclass
class Built:
    context: dict[str, Any]
    organisation: dict[str, Any]
    revision: int
    title: str


def local_date(value: datetime | None) -> date | None:
    return value.astimezone(get_settings().zone).date() if value else None


def local_datetime(value: datetime | None) -> datetime | None:
    return value.astimezone(get_settings().zone).replace(tzinfo=None) if value else None


async def committee_context(org: dict[str, Any], seal_uri: str | None = None) -> dict[str, Any]:
    """The issuing body; its current seal unless the caller gives the one applied."""
    ctx = {"name": org["name"], "address": org.get("address") or "", "phone": org.get("phone") or ""}
    if seal_uri is None:
        seal = await CommitteeSeal.select().where(CommitteeSeal.organisation == org["id"]).first()
        seal_uri = images.png_data_uri(images.read(seal["storage_key"]), "seal") if seal else ""
    if seal_uri:
        ctx["seal_image"] = seal_uri
    return ctx


def party_context(p: dict[str, Any], year: int, signature: str | None = None) -> dict[str, Any]:
    role = ROLE_ZH.get(p["role"], p["role"])
    ctx: dict[str, Any] = {
        "name": p["name"], "role": role + ("代表人" if p.get("is_representative") else ""),
        "kind": "organization" if p.get("kind") == "company" else "person",
    }
    for key in ("id_number", "address", "phone"):
        if p.get(key):
            ctx[key] = p[key]
    if p.get("gender") in GENDER_ZH:
        ctx["gender"] = GENDER_ZH[p["gender"]]
    if p.get("birth_year"):
        ctx["age"] = year - int(p["birth_year"])
    if p.get("represented_count", 1) > 1:
        ctx["name"] = f"{p['name']}（代表{p['represented_count']}人）"
    if signature:
        ctx["signature_image"] = signature
    return ctx


async def dispute_label(code: str) -> str:
    row = await DisputeType.select(DisputeType.label_zh).where(DisputeType.code == code).first()
    return row["label_zh"] if row else code


async def issuer(case: dict[str, Any]) -> dict[str, Any]:
    org = await issuing_committee(case)
    if org is None:
        org = await Organisation.select().where(Organisation.id == case["org"]).first()
    return org


async def issuing_organisation(kind: str, case: dict[str, Any], source_id: int) -> dict[str, Any]:
    """Whose seal and key a document carries: the agreement's frozen committee, else the issuer."""
    if kind == "agreement":
        from core.agreements.effects import snapshot_of

        snapshot = await snapshot_of(source_id)
        if snapshot is None:
            raise NotFound()
        return await Organisation.select().where(Organisation.id == snapshot["organisation"]).first()
    return await issuer(case)


async def signature_images(agreement_id: int) -> dict[str, str]:
    rows = await AgreementSignature.select().where(AgreementSignature.agreement == agreement_id)
    return {
        r["signer_key"]: images.png_data_uri(
            images.read(r["storage_key"]), "seal" if r["signer_kind"] == "seal" else ("scan" if r["method"] == "scanned_paper" else "signature")
        )
        for r in rows
    }


def _term(t: dict[str, Any]) -> dict[str, Any]:
    # by_when always present: the template's cn_date filter fails on an undefined value.
    term = {"obligor": t["obligor"], "obligee": t.get("obligee") or "", "action": t["what"], "by_when": None}
    for src, dst in (("amount", "amount"), ("how", "how"), ("where", "where"), ("due_date", "by_when")):
        if t.get(src) not in (None, ""):
            term[dst] = t[src]
    return term


async def agreement(case: dict[str, Any], agreement_id: int) -> Built:
    from core.agreements.effects import snapshot_of

    row = await Agreement.select().where((Agreement.id == agreement_id) & (Agreement.case == case["id"])).first()
    snapshot = await snapshot_of(agreement_id)
    if row is None or snapshot is None:
        raise NotFound()
    content = snapshot["content"]
    if content_hash(content) != row["content_sha256"]:
        raise Conflict("The agreement's text does not match its SHA-256.")
    signed = await signature_images(agreement_id)
    org = await Organisation.select().where(Organisation.id == snapshot["organisation"]).first()
    on = local_date(row["effective_at"] or row["finalised_at"])
    year = on.year if on else clock.today().year
    context = {
        "committee": await committee_context(org, signed.get("seal", "")),
        "case_no": case["number"],
        "parties": [party_context(p, year, signed.get(f"party:{p['id']}")) for p in content["parties"]],
        "facts": content["facts"], "matters": content["matters"], "responsibilities": content["responsibilities"] or "无",
        "terms": [_term(t) for t in content["terms"]],
        "performance_notes": content.get("performance") or "",
        "mediators": [{"name": m["name"], "signature_image": signed.get(f"mediator:{m['user_id']}", "")} for m in content["mediators"]],
        "issued_on": on, "signed_on": on,
    }
    return Built(context, org, row["revision"], TITLES["agreement"])


async def receipt(case: dict[str, Any], _source_id: int) -> Built:
    org = await issuer(case)
    parties = await case_parties(case["id"])
    accepted = local_date(case["registered_at"])
    year = accepted.year if accepted else clock.today().year
    materials = await Evidence.select(Evidence.filename, Evidence.description).where(Evidence.case == case["id"]).order_by(Evidence.id)
    mediator = await mediator_of(case)
    context = {
        "committee": await committee_context(org), "case_no": case["number"],
        "applicants": [party_context(p, year) for p in parties if p["role"] == "applicant"],
        "respondents": [party_context(p, year) for p in parties if p["role"] != "applicant"],
        "dispute_type": await dispute_label(case["dispute_type"]), "summary": case["description"],
        "applied_on": local_date(case["submitted_at"]), "accepted_on": accepted, "issued_on": accepted,
        "materials": [{"name": m["description"] or m["filename"]} for m in materials],
    }
    if org.get("phone"):
        context["contact_phone"] = org["phone"]
    if mediator:
        context["mediator"] = {"name": mediator["name"]}
    return Built(context, org, 1, TITLES["receipt"])


async def record(case: dict[str, Any], session_id: int) -> Built:
    session = await MediationSession.select().where((MediationSession.id == session_id) & (MediationSession.case == case["id"])).first()
    if session is None or session["status"] != "held":
        raise NotFound()
    org = await issuer(case)
    mediator = await mediator_of(case)
    attendees = load_json(session["attendees"]) or []
    context = {
        "committee": await committee_context(org), "case_no": case["number"],
        "started_at": local_datetime(session["scheduled_at"]), "place": session["place"] or "—",
        "mode": MODE_ZH.get(session["mode"], session["mode"]), "subject": await dispute_label(case["dispute_type"]),
        "mediators": [{"name": mediator["name"]}] if mediator else [],
        "attendees": [{"name": str(a), "role": "参加人"} for a in attendees],
        "text": session["record"], "issued_on": local_date(session["held_at"]),
    }
    return Built(context, org, 1, TITLES["record"])


ADVICE_ROUTE = {"arbitration": "arbitration", "litigation": "litigation", "department": "administrative"}


async def failure_notice(case: dict[str, Any], _source_id: int) -> Built:
    org = await issuer(case)
    parties = await case_parties(case["id"])
    event = await CaseEvent.select(CaseEvent.id, CaseEvent.at, CaseEvent.payload).where((CaseEvent.case == case["id"]) & (CaseEvent.name == "fail")).order_by(
        CaseEvent.seq, ascending=False
    ).first()
    if event:
        await join_remarks([event])
    advice, _, detail = (case["failure_advice"] or "other:").partition(":")
    payload = json.loads(event["payload"]) if event and isinstance(event["payload"], str) else (event or {}).get("payload") or {}
    routes = [{"route": ADVICE_ROUTE.get(advice, "other"), "body": "" if advice in ADVICE_ROUTE else detail, "note": detail if advice in ADVICE_ROUTE else ""}]
    if advice != "litigation":
        routes.append({"route": "litigation"})
    ended = local_date(event["at"]) if event else local_date(case["updated_at"])
    year = ended.year if ended else clock.today().year
    context = {
        "committee": await committee_context(org), "case_no": case["number"],
        "addressees": [party_context(p, year) for p in parties if p["role"] == "applicant"],
        "other_parties": [party_context(p, year) for p in parties if p["role"] != "applicant"],
        "dispute_type": await dispute_label(case["dispute_type"]), "accepted_on": local_date(case["registered_at"]),
        "ended_on": ended, "issued_on": ended, "reason": payload.get("note") or "各方分歧较大，未能达成一致意见", "advice": routes,
    }
    return Built(context, org, 1, TITLES["failure_notice"])


BUILDERS = {"agreement": agreement, "receipt": receipt, "record": record, "failure_notice": failure_notice}
