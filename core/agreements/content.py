"""The frozen text of a written agreement: what finalising hashes and what the PDF shows.

The content is plain JSON (the canonical form of ``core.cases.timeline``), so the hash can be
recomputed from the stored snapshot at any time and compared with ``Agreement.content_sha256``.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from core.cases.tables import Party
from core.cases.timeline import canonical_json
from core.orgs.tables import Organisation, OrganisationType

PARTY_FIELDS = (
    "id", "role", "kind", "name", "gender", "birth_year", "id_number", "address", "phone",
    "is_representative", "represented_count",
)
TEXT_FIELDS = ("facts", "matters", "responsibilities", "terms", "performance")


def as_json(value: Any) -> Any:
    """What the database gives back for ``value`` (decimals and dates as strings)."""
    return json.loads(canonical_json(value))


def content_hash(content: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(content).encode()).hexdigest()


def load_json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


async def issuing_committee(case: dict[str, Any]) -> dict[str, Any] | None:
    """The committee whose seal the case's documents carry: the body the case was dispatched to
    when it issues agreements, else an agreement-issuing body directly under the case's level."""
    issuing = [r["code"] for r in await OrganisationType.select(OrganisationType.code).where(OrganisationType.issues_agreements == True)]  # noqa: E712
    if not issuing:
        return None
    if case.get("assigned_org"):
        org = await Organisation.select().where(Organisation.id == case["assigned_org"]).first()
        if org and org["type_code"] in issuing:
            return org
    return await Organisation.select().where(
        (Organisation.parent == case["org"]) & Organisation.type_code.is_in(issuing) & (Organisation.active == True)  # noqa: E712
    ).order_by(Organisation.id).first()


async def case_parties(case_id: int) -> list[dict[str, Any]]:
    rows = await Party.select().where((Party.case == case_id) & (Party.anonymised == False)).order_by(Party.id)  # noqa: E712
    order = {"applicant": 0, "respondent": 1, "third_party": 2}
    return sorted(rows, key=lambda p: (order.get(p["role"], 3), p["id"]))


def required_signers(
    case: dict[str, Any], parties: list[dict[str, Any]], mediator: dict[str, Any], committee: dict[str, Any],
) -> list[dict[str, Any]]:
    """Art. 29: every party (in a collective case, per side, its representatives), the mediator
    and the committee's seal."""
    signers: list[dict[str, Any]] = []
    for role in ("applicant", "respondent", "third_party"):
        side = [p for p in parties if p["role"] == role]
        if case.get("is_collective") and any(p["is_representative"] for p in side):
            side = [p for p in side if p["is_representative"]]
        signers += [
            {"key": f"party:{p['id']}", "kind": "party", "party_id": p["id"], "name": p["name"], "role": role}
            for p in side
        ]
    signers.append({"key": f"mediator:{mediator['user_id']}", "kind": "mediator", "user_id": mediator["user_id"], "name": mediator["name"], "role": "mediator"})
    signers.append({"key": "seal", "kind": "seal", "organisation_id": committee["id"], "name": committee["name"], "role": "committee"})
    return signers


def build_content(
    case: dict[str, Any], agreement: dict[str, Any], parties: list[dict[str, Any]],
    mediator: dict[str, Any], committee: dict[str, Any],
) -> dict[str, Any]:
    text = {k: load_json(agreement[k]) if k == "terms" else agreement[k] for k in TEXT_FIELDS}
    return as_json({
        "case": {"id": case["id"], "number": case["number"], "dispute_type": case["dispute_type"]},
        "agreement": {"id": agreement["id"], "revision": agreement["revision"]},
        "committee": {k: committee[k] for k in ("id", "name", "address", "phone")},
        "parties": [{k: p[k] for k in PARTY_FIELDS} for p in parties],
        "mediators": [mediator],
        **text,
    })


async def mediator_of(case: dict[str, Any]) -> dict[str, Any] | None:
    """The assignee, named as on the roster when they are a mediator."""
    from core.auth.tables import StaffUser
    from core.roster.tables import Mediator

    if not case.get("assignee"):
        return None
    user = await StaffUser.select(StaffUser.id, StaffUser.display_name).where(StaffUser.id == case["assignee"]).first()
    if user is None:
        return None
    roster = await Mediator.select(Mediator.name).where(Mediator.user == user["id"]).first()
    return {"user_id": user["id"], "name": roster["name"] if roster else user["display_name"]}
