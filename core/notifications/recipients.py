"""Who an audience is for a case: staff user ids, or the parties to tell."""

from __future__ import annotations

from typing import Any

from core.auth.tables import StaffUser
from core.cases.tables import Party
from core.orgs.tables import Organisation


async def _supervisors_of(org_ids: list[int]) -> list[int]:
    ids = [i for i in org_ids if i]
    if not ids:
        return []
    rows = await StaffUser.select(StaffUser.id, StaffUser.roles).where(
        StaffUser.organisation.is_in(ids) & (StaffUser.active == True)  # noqa: E712
    ).output(load_json=True)
    return [r["id"] for r in rows if "supervisor" in (r["roles"] or [])]


async def staff_for(audience: str, case: dict[str, Any]) -> list[int]:
    """``assignee``, ``org_head`` (supervisors of the handling body and of the responsible
    level), ``parent_org`` (supervisors one level up) or ``case_owner_leader`` (包案)."""
    if audience == "assignee":
        return [case["assignee"]] if case.get("assignee") else []
    if audience == "case_owner_leader":
        return [case["owner_leader"]] if case.get("owner_leader") else []
    if audience == "org_head":
        return await _supervisors_of([case.get("assigned_org"), case.get("org")])
    if audience == "parent_org":
        org = await Organisation.select(Organisation.parent).where(Organisation.id == case["org"]).first()
        return await _supervisors_of([org["parent"]] if org else [])
    return []


async def staff_for_all(audiences: list[str] | tuple[str, ...], case: dict[str, Any]) -> list[int]:
    seen: list[int] = []
    for audience in audiences:
        for user_id in await staff_for(audience, case):
            if user_id not in seen:
                seen.append(user_id)
    return seen


async def parties_to_tell(case_id: int) -> list[dict[str, Any]]:
    """Applicants and respondents; in a collective case only the representatives speak for
    the many, so only they are messaged."""
    rows = await Party.select(
        Party.id, Party.name, Party.phone, Party.role, Party.prefers_locale, Party.is_representative, Party.anonymised,
    ).where(Party.case == case_id).order_by(Party.id)
    rows = [r for r in rows if not r["anonymised"] and r["role"] in ("applicant", "respondent")]
    representatives = [r for r in rows if r["is_representative"]]
    return representatives or rows
