"""Sensitive cases (marriage and family, medical, minors, any type a town flags): who handles
them and so sees their content; everyone else who can see the case in a list sees it masked.

A case is sensitive when its dispute type is flagged ``sensitive`` or a party is a minor
(flagged at intake, or derived from an 18-digit ID number's birth date).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from piccolo.columns.combination import Or

from core.actors import Actor
from core.cases.tables import Case
from core.i18n import gettext, label

# States in which the intake desk still works on the case (classifies, grades, dispatches).
INTAKE_STATES = frozenset({"submitted", "registered"})
WORK_ROLES = frozenset({"mediator", "handler"})
ADULT_AGE = 18
PLACEHOLDER = "Dispute involving private matters"


def placeholder(locale: str | None = None) -> str:
    return gettext(PLACEHOLDER, locale)


def party_placeholder(role: str, locale: str | None = None) -> str:
    """A party of a masked case is named by their role only (申请人, 被申请人 …)."""
    return label("party_role", role, locale) or role


def handles(actor: Actor, case: dict[str, Any]) -> bool:
    """True when the actor may see this case's content (description, records, parties).

    For a sensitive case: the assignee, the leader who owns it (包案), supervisors of the
    responsible level or of the handling body and above, the intake desk while the case is
    still at intake, and the handling body's workers while it waits in their pool. API keys
    never. Every other staff member who can see the case sees it masked."""
    if not case.get("sensitive"):
        return True
    if actor.is_system:
        return True
    if actor.kind == "party":
        return actor.case_id == case.get("id")
    if actor.kind != "staff" or not actor.user_id:
        return False
    if actor.user_id in (case.get("assignee"), case.get("owner_leader")):
        return True
    if "supervisor" in actor.roles and (actor.covers(case.get("org_path")) or actor.covers(case.get("assigned_org_path"))):
        return True
    if "window_staff" in actor.roles and case.get("state") in INTAKE_STATES and actor.covers(case.get("org_path")):
        return True
    return bool(actor.roles & WORK_ROLES and not case.get("assignee") and case.get("assigned_org") == actor.org_id)


def restricted(actor: Actor, case: dict[str, Any]) -> bool:
    return not handles(actor, case)


def handles_filter(actor: Actor) -> Any:
    """The same rule as :func:`handles` as a where-clause (for searches by a party's name,
    phone or ID number, which must not reveal that a person is party to a sensitive case)."""
    plain = Case.sensitive == False  # noqa: E712
    if actor.is_system:
        return Case.id > 0
    if actor.kind == "party":
        return Case.id == (actor.case_id or -1)
    if actor.kind != "staff" or not actor.user_id:
        return plain
    clause = Or(Or(plain, Case.assignee == actor.user_id), Case.owner_leader == actor.user_id)
    prefix = actor.org_path + "%"
    if "supervisor" in actor.roles and actor.org_path:
        clause = Or(clause, Or(Case.org_path.like(prefix), Case.assigned_org_path.like(prefix)))
    if "window_staff" in actor.roles and actor.org_path:
        clause = Or(clause, Case.org_path.like(prefix) & Case.state.is_in(sorted(INTAKE_STATES)))
    if actor.roles & WORK_ROLES and actor.org_id:
        clause = Or(clause, Case.assignee.is_null() & (Case.assigned_org == actor.org_id))
    return clause


def birth_date_from_id(id_number: str) -> date | None:
    """The birth date in a resident ID number (18 digits: YYYYMMDD at 7–14; 15 digits: YYMMDD,
    all issued before 2000 to people born in the 1900s)."""
    text = (id_number or "").strip().upper()
    try:
        if len(text) == 18 and text[:17].isdigit():
            return date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
        if len(text) == 15 and text.isdigit():
            return date(1900 + int(text[6:8]), int(text[8:10]), int(text[10:12]))
    except ValueError:
        return None
    return None


def is_minor(party: dict[str, Any], on: date) -> bool:
    """Flagged at intake, or under 18 on ``on`` by the ID number's birth date (or, without
    one, certainly under 18 by the birth year)."""
    if party.get("is_minor"):
        return True
    if party.get("kind", "person") != "person":
        return False
    born = birth_date_from_id(party.get("id_number") or "")
    if born is not None:
        try:
            adult_on = born.replace(year=born.year + ADULT_AGE)
        except ValueError:  # born on 29 February
            adult_on = date(born.year + ADULT_AGE, 3, 1)
        return on < adult_on
    year = party.get("birth_year")
    # A birth year alone proves a minor only when even the earliest birthday leaves them under 18.
    return bool(year) and on.year - int(year) < ADULT_AGE


# Timeline payload keys that hold text typed by people (and so may name or describe them).
FREE_TEXT_KEYS = frozenset({"reason", "text", "message", "result", "note", "advice", "detail", "comment", "ground"})


def mask_payload(payload: dict[str, Any]) -> dict[str, Any]:
    return {k: ("***" if k in FREE_TEXT_KEYS and v else v) for k, v in (payload or {}).items()}


def view_label(actor: Actor, case: dict[str, Any]) -> str:
    """What the access log records for a detail view: a sensitive case shown in full or masked."""
    if not case.get("sensitive"):
        return "case.detail"
    return "case.sensitive" if handles(actor, case) else "case.masked"


def ensure_handles(actor: Actor, case: dict[str, Any]) -> None:
    """Files and documents of a sensitive case: refused to those who see it masked."""
    if restricted(actor, case):
        from core.errors import Forbidden

        raise Forbidden()
