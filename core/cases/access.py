"""Who may see which case: staff and keys see their organisation's subtree, a party their own case."""

from __future__ import annotations

from typing import Any

from piccolo.columns.combination import Or

from core.actors import Actor
from core.cases.tables import Case
from core.errors import NotFound

# Roles that need a party's full phone and ID number to do their work.
REVEAL_ROLES = frozenset({"window_staff", "mediator", "handler", "supervisor"})


def can_see(actor: Actor, case: dict[str, Any]) -> bool:
    if actor.is_system:
        return True
    if actor.kind == "party":
        return actor.case_id == case["id"]
    return any(actor.covers(case.get(key)) for key in ("org_path", "place_path", "assigned_org_path"))


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
    return Or(Or(Case.org_path.like(prefix), Case.place_path.like(prefix)), Case.assigned_org_path.like(prefix))


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
    if case.get("sensitive"):
        # Sensitive types (family, medical, minors): only the assignee and supervisors.
        return case.get("assignee") == actor.user_id or "supervisor" in actor.roles
    return True
