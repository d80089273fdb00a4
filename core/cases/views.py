"""Shaping cases for output: masked party data, labels, allowed actions."""

from __future__ import annotations

import base64
import json
from typing import Any

from core.actors import Actor
from core.cases.access import mask_id_number, mask_name, mask_phone, restricted
from core.cases.lifecycle import allowed_events
from core.cases.tables import CaseUnit, Party
from core.errors import BadRequest
from core.i18n import label


def _loads(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def case_summary(case: dict[str, Any], locale: str = "zh_CN", *, masked: bool = False) -> dict[str, Any]:
    """``masked``: a sensitive case seen by someone not handling it (the title may name people)."""
    from core.privacy.sensitive import placeholder

    return {
        "id": case["id"], "number": case["number"], "application_ref": case.get("application_ref"), "state": case["state"],
        "state_label": label("state", case["state"], locale), "channel": case["channel"],
        "dispute_type": case["dispute_type"], "risk_level": case["risk_level"],
        "title": placeholder(locale) if masked else case["title"], "restricted": masked,
        "org_id": case["org"], "assigned_org_id": case["assigned_org"], "assignee_id": case["assignee"],
        "in_pool": case["in_pool"], "submitted_at": case["submitted_at"], "next_due_at": case["next_due_at"],
        "version": case["version"],
    }


def masked_party(party: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": party["id"], "role": party["role"], "kind": party["kind"], "name": party["name"] if party["kind"] == "company" else mask_name(party["name"]),
        "phone": mask_phone(party["phone"]), "id_number": mask_id_number(party["id_number"]),
        "is_representative": party["is_representative"], "represented_count": party["represented_count"],
    }


def hidden_party(party: dict[str, Any], locale: str) -> dict[str, Any]:
    """A party of a sensitive case, for someone not handling it: the role, nothing of the person."""
    from core.privacy.sensitive import party_placeholder

    return {
        "id": party["id"], "role": party["role"], "kind": party["kind"], "name": party_placeholder(party["role"], locale),
        "phone": "", "id_number": "", "is_representative": party["is_representative"], "represented_count": party["represented_count"],
    }


async def case_detail(case: dict[str, Any], actor: Actor) -> dict[str, Any]:
    parties = await Party.select().where(Party.case == case["id"]).order_by(Party.id)
    units = await CaseUnit.select(CaseUnit.organisation, CaseUnit.organisation.name.as_alias("name")).where(
        (CaseUnit.case == case["id"]) & (CaseUnit.role == "assisting") & (CaseUnit.active == True)  # noqa: E712
    ).order_by(CaseUnit.id)
    masked = restricted(actor, case)
    if masked:
        from core.privacy.sensitive import placeholder

        case = {**case, "description": placeholder(actor.locale), "preferred_time": "", "preferred_place": "", "failure_advice": ""}
    return {
        **case_summary(case, actor.locale, masked=masked),
        "description": case["description"], "amount": case["amount"], "place_id": case["place"],
        "org_name": case.get("org_name"), "place_name": case.get("place_name"),
        "assigned_org_name": case.get("assigned_org_name"), "assignee_name": case.get("assignee_name"),
        "preferred_mediator_id": case["preferred_mediator"], "preferred_time": case["preferred_time"],
        "preferred_mode": case["preferred_mode"], "preferred_place": case["preferred_place"],
        "is_collective": case["is_collective"], "sensitive": case["sensitive"],
        "merged_into_id": case["merged_into"], "outcome": case["outcome"], "failure_advice": case["failure_advice"],
        "attempts_at_level": case["attempts_at_level"], "owner_leader_id": case["owner_leader"],
        "registered_at": case["registered_at"], "first_contact_at": case["first_contact_at"], "closed_at": case["closed_at"],
        "rights_notified_at": case["rights_notified_at"], "consent_at": case["consent_at"],
        "parties": [hidden_party(p, actor.locale) if masked else masked_party(p) for p in parties],
        # Those a release_assisting_unit may name; the ones released are on the timeline.
        "assisting_units": [{"organisation_id": u["organisation"], "name": u["name"]} for u in units],
        "allowed_actions": allowed_events(case, actor),
    }


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"id": last_id}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded))["id"]
        if not isinstance(value, int):
            raise ValueError
        return value
    except Exception as exc:
        raise BadRequest("The cursor is not valid.") from exc
