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
PLUGIN = "legal_aid"
# The letter's own words: English ids, translated with the message context "handoff" (the
# plugin's pages use some of the same ids with other Chinese words).
WORDS = "handoff"
ROLE_LABELS = {"applicant": "Applicant", "respondent": "Respondent", "third_party": "Third party"}
OWN_EVENTS = {"legal_aid.screened": "Legal-aid eligibility screening", "legal_aid.handed_off": "Handed to the legal-aid centre"}
SESSION_STATUS = {"scheduled": "Scheduled", "held": "Held", "cancelled": "Cancelled"}


def words(locale: str | None) -> dict[str, Any]:
    """What the template needs to speak ``locale``: ``_()``, ``day()``, ``moment()``, ``lang``.
    Chinese dates as the core's documents print them; English ones as the plugin's pages do."""
    from core.documents.chinese import cn_date, cn_datetime
    from core.i18n import dpgettext, normalise

    locale = normalise(locale)
    english = locale == "en"

    def _(message: str, **params: Any) -> str:
        return dpgettext(PLUGIN, WORDS, message, locale, **params)

    def day(value: Any) -> str:
        return value.strftime("%Y-%m-%d") if english and isinstance(value, datetime) else cn_date(value)

    def moment(value: Any) -> str:
        return value.strftime("%Y-%m-%d %H:%M") if english and isinstance(value, datetime) else cn_datetime(value)

    return {"locale": locale, "lang": "en" if english else "zh-CN", "_": _, "day": day, "moment": moment}


def _reason(screening: dict[str, Any], answers: dict[str, Any], locale: str, _: Any) -> str:
    """The screening's reason: as recorded (Chinese, what the applicant was told), or in
    English rebuilt from its code for the two reasons an eligible applicant can have."""
    from plugins.legal_aid.views import EXEMPT

    if locale != "en":
        return str(screening["reason"] or "")
    if screening["reason_code"] == "exempt" and answers.get("exempt_category") in EXEMPT:
        return _("Exempt from the means test: {category}.", category=EXEMPT[answers["exempt_category"]])
    if screening["reason_code"] == "means_test_passed":
        return _("Household income per member {income} yuan a month, not above the local line of {threshold} yuan.",
                 income=screening["income_per_member"], threshold=screening["threshold"])
    return str(screening["reason"] or "")


def _loads(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else (value or {})


def _local(moment: Any) -> Any:
    """Documents print the town's local time (times are stored in UTC)."""
    from core.settings import get_settings

    return moment.astimezone(get_settings().zone) if isinstance(moment, datetime) else moment


async def context(
    case: dict[str, Any], centre: dict[str, Any], screenings: list[dict[str, Any]], note: str, due_at: datetime,
    locale: str | None = None,
) -> dict[str, Any]:
    """The letter's context in ``locale`` (Chinese unless English is asked for)."""
    from plugins.legal_aid.views import MATTERS

    said = words(locale)
    locale, _ = said["locale"], said["_"]
    english = locale == "en"
    parties = await Party.select().where(Party.case == case["id"]).order_by(Party.id)
    by_id = {p["id"]: p for p in parties}
    issuer_id = case.get("assigned_org") or case["org"]
    issuer = await Organisation.select(Organisation.name, Organisation.phone, Organisation.address).where(Organisation.id == issuer_id).first()
    dtype = await DisputeType.select(DisputeType.label_zh, DisputeType.label_en).where(DisputeType.code == case["dispute_type"]).first()
    applicants = []
    for s in screenings:
        party = by_id.get(s["party_id"]) if s["party_id"] else None
        answers = _loads(s["answers"])
        matter = answers.get("matter")
        applicants.append({
            "name": party["name"] if party else s["name"], "id_number": party["id_number"] if party else s["id_number"],
            "phone": party["phone"] if party else s["phone"], "claim_amount": s["claim_amount"],
            # The law's own wording in Chinese; the pages' English otherwise.
            "matter": MATTERS[matter] if english and matter in MATTERS else eligibility.MATTERS.get(matter, ""),
            "basis": _("Exempt from the means test") if s["basis"] == "exempt" else _("Means test"),
            "reason": _reason(s, answers, locale, _),
        })
    evidence = await Evidence.select(Evidence.filename, Evidence.description, Evidence.uploaded_at, Evidence.sha256, Evidence.uploaded_by_party).where(
        Evidence.case == case["id"]
    ).order_by(Evidence.id)
    events = await join_remarks(
        await CaseEvent.select(CaseEvent.id, CaseEvent.name, CaseEvent.at, CaseEvent.payload).where(CaseEvent.case == case["id"]).order_by(CaseEvent.seq)
    )
    history = []
    for e in events:
        if e["name"] == "submit":
            text = _("Registration")
        elif e["name"] in TRANSITIONS:
            text = label("event", e["name"], locale)
        elif e["name"] in OWN_EVENTS:
            text = _(OWN_EVENTS[e["name"]])
        else:
            continue
        history.append({"at": _local(e["at"]), "what": text, "note": (_loads(e["payload"]).get("note") or "")[:200]})
    sessions = await MediationSession.select(MediationSession.scheduled_at, MediationSession.place, MediationSession.status).where(
        MediationSession.case == case["id"]
    ).order_by(MediationSession.scheduled_at)
    return {
        **said,
        "committee": {"name": issuer["name"] if issuer else case.get("org_name", ""), "phone": (issuer or {}).get("phone", ""), "address": (issuer or {}).get("address", "")},
        "case_no": case["number"],
        "centre": {"name": centre["name"]},
        "sent_on": _local(datetime.now(UTC)), "due_on": _local(due_at), "note": note,
        "case": {
            "title": case["title"],
            "dispute_type": (dtype["label_en" if english else "label_zh"] or dtype["label_zh"]) if dtype else case["dispute_type"],
            "description": case["description"], "amount": case["amount"], "submitted_at": _local(case["submitted_at"]),
            "state": label("state", case["state"], locale), "collective": case["is_collective"],
        },
        "applicants": applicants,
        "total_claim": sum((a["claim_amount"] or 0) for a in applicants) or None,
        "others": [
            {"role": _(ROLE_LABELS[p["role"]]) if p["role"] in ROLE_LABELS else p["role"], "name": p["name"], "phone": p["phone"],
             "kind": p["kind"], "represented_count": p["represented_count"]}
            for p in parties
        ],
        "evidence": [{**e, "uploaded_at": _local(e["uploaded_at"]), "sha256": e["sha256"][:16]} for e in evidence],
        "history": history,
        "sessions": [{**s, "scheduled_at": _local(s["scheduled_at"]), "status": _(SESSION_STATUS[s["status"]]) if s["status"] in SESSION_STATUS else s["status"]} for s in sessions],
    }


async def render(ctx: dict[str, Any]) -> tuple[bytes, str]:
    """The PDF and its SHA-256 (WeasyPrint in a worker thread)."""
    from core.documents import render_pdf_async

    pdf = await render_pdf_async(TEMPLATE, ctx)
    return pdf, hashlib.sha256(pdf).hexdigest()
