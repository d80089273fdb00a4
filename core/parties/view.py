"""A party's view of their own case, in plain words. Other parties appear masked and never
with an ID number or address; staff appear by name and work phone only."""

from __future__ import annotations

from typing import Any

from core.auth.tables import StaffUser
from core.cases.access import mask_name, mask_phone
from core.cases.lifecycle import OPEN
from core.cases.tables import Case, Deadline, Evidence, MediationSession, Party
from core.i18n import label
from core.orgs.tables import Organisation
from core.parties.signing import agreement_for_party
from core.parties.tables import PartyMessage, PartyRating
from core.parties.tracking import PartyContext
from core.roster.tables import DisputeType, Mediator

PLAIN = {
    "submitted": "您的申请已提交,正在等待调解中心受理。",
    "registered": "调解中心已受理您的申请,正在为您安排调解员。",
    "rejected": "很抱歉,调解中心未受理此申请。如有疑问请致电调解中心。",
    "assigned": "已为您安排调解员,调解员会尽快与您联系。",
    "in_mediation": "调解员正在处理您的纠纷,请保持电话畅通。",
    "referred": "您的纠纷已转交专业机构(如心理咨询、法律援助)协助处理。",
    "agreed": "双方已达成调解协议。请按协议履行,调解员会进行回访。",
    "failed": "本次调解未能达成协议。您可以申请仲裁、向法院起诉,或向主管部门反映。",
    "withdrawn": "您已撤回申请。",
    "closed": "本案已办结,感谢您的配合。",
}
WAITING = {
    "submitted": "等待调解中心受理",
    "registered": "等待分派调解员",
    "referred": "等待专业机构处理结果",
    "agreed": "按协议履行,等待回访",
}
DEADLINE_STEP = {
    "first_contact": "调解员首次与您联系",
    "mediation": "完成调解",
    "follow_up": "回访协议履行情况",
}
ADVICE = {"arbitration": "申请仲裁", "litigation": "向人民法院起诉", "department": "向主管部门反映", "other": "其他途径"}
RATABLE = frozenset({"agreed", "failed", "closed"})


# Which clocks mean something to a party in each state (an agreed case's unmet first-contact
# clock is the staff's business, not the next step for the resident).
STEP_KINDS = {
    "submitted": ("first_contact",), "registered": ("first_contact",), "assigned": ("first_contact",),
    "in_mediation": ("first_contact", "mediation"), "agreed": ("follow_up",),
}


async def _next_step(case: dict[str, Any]) -> dict[str, Any] | None:
    kinds = STEP_KINDS.get(case["state"], ())
    rows = await Deadline.select(Deadline.kind, Deadline.due_at, Deadline.state).where(
        (Deadline.case == case["id"]) & Deadline.state.is_in(["running", "overdue", "paused"]) & Deadline.kind.is_in(list(kinds) or [""])
    ).order_by(Deadline.due_at)
    if rows:
        first = rows[0]
        return {"text": DEADLINE_STEP.get(first["kind"], first["kind"]), "kind": first["kind"], "due_at": first["due_at"]}
    if case["state"] in WAITING:
        return {"text": WAITING[case["state"]], "kind": None, "due_at": None}
    return None


async def _mediator(case: dict[str, Any]) -> dict[str, Any] | None:
    if not case["assignee"]:
        return None
    user = await StaffUser.select(StaffUser.display_name, StaffUser.phone).where(StaffUser.id == case["assignee"]).first()
    mediator = await Mediator.select(Mediator.name, Mediator.phone, Mediator.organisation.name.as_alias("org")).where(
        Mediator.user == case["assignee"]
    ).first()
    org = None
    if case["assigned_org"]:
        org = await Organisation.select(Organisation.name, Organisation.phone).where(Organisation.id == case["assigned_org"]).first()
    if user is None and mediator is None:
        return None
    return {
        "name": (mediator or {}).get("name") or (user or {}).get("display_name", ""),
        "phone": (mediator or {}).get("phone") or (user or {}).get("phone") or (org or {}).get("phone", ""),
        "organisation": (org or {}).get("name") or (mediator or {}).get("org", ""),
    }


def _party(row: dict[str, Any], own: bool) -> dict[str, Any]:
    # Deliberately no id_number and no address, for anyone: the page never needs them.
    name = row["name"] if own or row["kind"] == "company" else mask_name(row["name"])
    return {"role": row["role"], "role_label": _ROLE.get(row["role"], row["role"]), "name": name,
            "phone": mask_phone(row["phone"]), "own": own}


_ROLE = {"applicant": "申请人", "respondent": "被申请人", "third_party": "第三人"}


async def case_view(ctx: PartyContext) -> dict[str, Any]:
    case = await Case.select().where(Case.id == ctx.case_id).first()
    dtype = await DisputeType.select(DisputeType.label_zh).where(DisputeType.code == case["dispute_type"]).first()
    parties = await Party.select(Party.id, Party.role, Party.kind, Party.name, Party.phone).where(Party.case == ctx.case_id).order_by(Party.id)
    sessions = await MediationSession.select(
        MediationSession.id, MediationSession.scheduled_at, MediationSession.place, MediationSession.mode, MediationSession.status,
    ).where(MediationSession.case == ctx.case_id).order_by(MediationSession.scheduled_at)
    rating = await PartyRating.select(PartyRating.rating, PartyRating.created_at).where(PartyRating.party == ctx.party_id).first()
    messages = await PartyMessage.select(PartyMessage.id, PartyMessage.body, PartyMessage.created_at).where(
        (PartyMessage.case == ctx.case_id) & (PartyMessage.party == ctx.party_id)
    ).order_by(PartyMessage.id)
    photos = await Evidence.count().where((Evidence.case == ctx.case_id) & (Evidence.uploaded_by_party == True))  # noqa: E712
    state = case["state"]
    return {
        "number": case["number"], "number_is_official": case["number"] != case["application_ref"], "state": state, "state_label": label("state", state, "zh_CN"),
        "plain": PLAIN.get(state, ""), "dispute_type": (dtype or {}).get("label_zh", case["dispute_type"]),
        "description": case["description"], "submitted_at": case["submitted_at"], "updated_at": case["updated_at"],
        "preferred_time": case["preferred_time"], "preferred_mode": case["preferred_mode"],
        "preferred_mode_label": {"video": "线上视频调解", "in_person": "线下现场调解"}.get(case["preferred_mode"], ""),
        "preferred_place": case["preferred_place"],
        "failure_advice": ADVICE.get(case["failure_advice"].split(":")[0], "") if state == "failed" else "",
        "next_step": await _next_step(case), "mediator": await _mediator(case),
        "parties": [_party(p, p["id"] == ctx.party_id) for p in parties],
        "sessions": [
            {**row, "mode_label": {"video": "线上视频", "in_person": "现场"}.get(row["mode"], row["mode"]),
             "status_label": {"scheduled": "已安排", "held": "已举行", "cancelled": "已取消"}.get(row["status"], row["status"])}
            for row in sessions
        ],
        "agreement": await agreement_for_party(ctx.case_id, ctx.party_id),
        "rating": rating, "can_rate": state in RATABLE and rating is None and case["assignee"] is not None,
        "ask_performed": case["outcome"] == "agreed",
        "can_withdraw": state in OPEN, "can_message": state not in ("rejected", "withdrawn", "closed"),
        "can_upload": state in OPEN, "photos": photos, "messages": messages,
    }
