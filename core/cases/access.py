"""Who may see which case: staff and keys see their organisation's subtree, a party their own case."""

from __future__ import annotations

from typing import Any

from piccolo.columns.combination import Or

from core.actors import Actor
from core.cases.tables import Case, CaseUnit
from core.errors import NotFound
from core.privacy.sensitive import handles, handles_filter, restricted

__all__ = ["assists", "can_see", "ensure_can_see", "handles", "handles_filter", "may_reveal", "restricted", "visible_filter"]

# Roles that need a party's full phone and ID number to do their work.
REVEAL_ROLES = frozenset({"window_staff", "mediator", "handler", "supervisor"})


def can_see(actor: Actor, case: dict[str, Any]) -> bool:
    if actor.is_system:
        return True
    if actor.kind == "party":
        return actor.case_id == case["id"]
    return _covers_directly(actor, case) or assists(actor, case)


def _covers_directly(actor: Actor, case: dict[str, Any]) -> bool:
    return any(actor.covers(case.get(key)) for key in ("org_path", "place_path", "assigned_org_path"))


def assists(actor: Actor, case: dict[str, Any]) -> bool:
    """True when the actor is in (or above) one of the case's assisting units (协办单位)."""
    return any(actor.covers(path) for path in (case.get("assisting_paths") or "").split())


def ensure_can_see(actor: Actor, case: dict[str, Any]) -> None:
    # 404 rather than 403: a case outside the subtree does not exist for this actor.
    if not can_see(actor, case):
        raise NotFound()


def visible_filter(actor: Actor) -> Any:
    """A where-clause for lists: the three paths, each an indexed prefix match."""
    if actor.is_system:
        return Case.id > 0
    if actor.kind == "party":
        return Case.id == (actor.case_id or -1)
    prefix = actor.org_path + "%"
    # Assisting units: an IN over case_unit's partial prefix index rather than a LIKE on
    # Case.assisting_paths (a multi-valued text no index serves). PostgreSQL hashes the
    # sub-select once per query, so the queue's plan is unchanged (docs/performance.md).
    assisted = Case.id.is_in(
        CaseUnit.select(CaseUnit.case).where(
            (CaseUnit.role == "assisting") & (CaseUnit.active == True) & CaseUnit.organisation_path.like(prefix)  # noqa: E712
        )
    )
    return Or(Or(Or(Case.org_path.like(prefix), Case.place_path.like(prefix)), Case.assigned_org_path.like(prefix)), assisted)


def mask_phone(phone: str) -> str:
    if not phone:
        return ""
    if len(phone) <= 4:
        return "*" * len(phone)
    return phone[:3] + "*" * max(len(phone) - 7, 1) + phone[-4:]


def mask_id_number(id_number: str) -> str:
    if not id_number:
        return ""
    if len(id_number) <= 4:
        return "*" * len(id_number)
    return id_number[:1] + "*" * (len(id_number) - 5) + id_number[-4:]


def mask_name(name: str) -> str:
    if len(name) <= 1:
        return name
    return name[0] + "*" * (len(name) - 1) if len(name) <= 3 else name[:2] + "*" * (len(name) - 2)


def may_reveal(actor: Actor, case: dict[str, Any]) -> bool:
    if actor.kind != "staff" or not actor.roles & REVEAL_ROLES:
        return False
    if not _covers_directly(actor, case) and actor.user_id not in (case.get("assignee"), case.get("owner_leader")):
        return False  # an assisting unit works on the dispute, not with the parties' numbers
    if case.get("sensitive"):
        # Sensitive cases (family, medical, minors): the assignee, the owning leader (包案) and
        # supervisors over the case; the intake desk and colleagues see the content, not this.
        if actor.user_id in (case.get("assignee"), case.get("owner_leader")):
            return True
        return "supervisor" in actor.roles and (actor.covers(case.get("org_path")) or actor.covers(case.get("assigned_org_path")))
    return True
