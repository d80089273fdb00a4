"""Each action's form fields → the data ``core.cases.lifecycle.transition`` expects.

Plain ``if``s, one per kind of form; the lifecycle validates the rest and its errors come
back to the form.
"""

from __future__ import annotations

from typing import Any

from core.cases.tables import Case
from core.errors import NotFound
from web.forms import (
    TERM_FIELDS,
    FormError,
    checked,
    is_blank,
    local_datetime,
    optional_int,
    rows,
    term_data,
)

REASON_EVENTS = {"reject", "withdraw", "reopen", "uphold", "return", "escalate", "declare_conflict"}
BLANK_TERM = {k: "" for k in TERM_FIELDS}

# Order of the action buttons on the case page: the main path first, housekeeping last.
ORDER = (
    "accept", "reject", "dispatch", "take", "first_contact", "schedule_session", "record_session",
    "agree", "fail", "follow_up", "close", "reopen", "return", "redispatch", "uphold", "escalate",
    "extend", "cancel_session", "refer", "resume", "withdraw", "urge", "supervise", "own", "set_risk",
    "add_party", "add_assisting_unit", "release_assisting_unit", "declare_conflict", "link", "merge", "note",
)
# The day's work shows first; the rest waits under "more actions".
MAIN = frozenset({
    "accept", "reject", "dispatch", "take", "first_contact", "schedule_session", "record_session", "agree", "fail",
    "follow_up", "close", "reopen", "urge", "supervise", "note",
})
# Plugins bring their own buttons for their flows (the hook ``case_actions``).
HIDDEN = frozenset({"refer"})
# Actions shown as a plain button (the form has no fields of its own).
BUTTON_ONLY = {"take", "close"}


def ordered(events: list[str]) -> list[str]:
    rank = {e: i for i, e in enumerate(ORDER)}
    return sorted((e for e in events if e not in HIDDEN), key=lambda e: rank.get(e, len(ORDER)))


async def _case_id_from(value: str, field: str) -> int:
    value = (value or "").strip()
    if not value:
        raise FormError("Enter a case number.", field)
    row = await Case.select(Case.id).where(Case.number == value).first()
    if row:
        return int(row["id"])
    if value.isdecimal():
        return int(value)
    raise NotFound()


async def action_data(event: str, v: dict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    version = optional_int(v.get("version"), "version")
    if version is not None:
        data["version"] = version
    if event == "accept":
        data.update(rights_notified=checked(v, "rights_notified"), consent=checked(v, "consent"))
        if v.get("risk_level"):
            data["risk_level"] = v["risk_level"]
        if v.get("dispute_type"):
            data["dispute_type"] = v["dispute_type"]
    elif event in REASON_EVENTS:
        data["reason"] = v.get("reason", "").strip()
    elif event in ("dispatch", "redispatch"):
        how = v.get("how", "mediator")
        if how == "mediator":
            data["mediator_id"] = optional_int(v.get("mediator_id"), "mediator_id")
            if data["mediator_id"] is None:
                raise FormError("Choose a mediator.", "mediator_id")
        elif how == "pool":
            data["organisation_id"] = optional_int(v.get("organisation_id"), "organisation_id")
            data["to_pool"] = True
            if data["organisation_id"] is None:
                raise FormError("Choose an organisation.", "organisation_id")
        elif how == "person":
            data["assignee_id"] = optional_int(v.get("assignee_id"), "assignee_id")
            if data["assignee_id"] is None:
                raise FormError("Choose a person.", "assignee_id")
        else:
            data["by_rules"] = True
    elif event == "first_contact":
        data.update(method=v.get("method") or "phone", result=v.get("result", "").strip())
    elif event == "schedule_session":
        data.update(
            scheduled_at=local_datetime(v.get("scheduled_at", ""), "scheduled_at"), place=v.get("place", "").strip(),
            mode=v.get("mode") or "in_person", attendees=_lines(v.get("attendees", "")),
        )
    elif event == "record_session":
        data.update(session_id=optional_int(v.get("session_id"), "session_id"), record=v.get("record", "").strip())
        if v.get("attendees", "").strip():
            data["attendees"] = _lines(v["attendees"])
    elif event == "cancel_session":
        data.update(session_id=optional_int(v.get("session_id"), "session_id"), reason=v.get("reason", "").strip())
    elif event == "agree":
        terms = [term_data(t) for t in rows(v, "term", TERM_FIELDS) if not is_blank(t, ignore=())]
        data.update(
            facts=v.get("facts", "").strip(), matters=v.get("matters", "").strip(),
            responsibilities=v.get("responsibilities", "").strip(), performance=v.get("performance", "").strip(), terms=terms,
        )
        if not terms:
            raise FormError("Add at least one term.", "terms")
    elif event == "fail":
        data.update(advice=v.get("advice", ""), detail=v.get("detail", "").strip())
    elif event == "follow_up":
        performed = v.get("performed", "")
        data.update(
            method=v.get("method") or "phone", result=v.get("result", "").strip(), comment=v.get("comment", "").strip(),
            performed=True if performed == "yes" else False if performed == "no" else None,
            rating=optional_int(v.get("rating"), "rating"),
        )
    elif event == "extend":
        data.update(days=optional_int(v.get("days"), "days") or 30, both_parties_consent=checked(v, "both_parties_consent"))
    elif event in ("urge", "supervise"):
        data["message"] = v.get("message", "").strip()
    elif event == "own":
        data["leader_id"] = optional_int(v.get("leader_id"), "leader_id")
    elif event == "set_risk":
        data.update(risk_level=v.get("risk_level", ""), reason=v.get("reason", "").strip())
    elif event == "add_party":
        from web.forms import party_data

        data["party"] = party_data({k.removeprefix("party-"): val for k, val in v.items() if k.startswith("party-")})
    elif event in ("add_assisting_unit", "release_assisting_unit"):
        data["organisation_id"] = optional_int(v.get("organisation_id"), "organisation_id")
        if event == "release_assisting_unit":
            data["note"] = v.get("note", "").strip()
    elif event == "link":
        data["other_case_id"] = await _case_id_from(v.get("other_case", ""), "other_case_id")
    elif event == "merge":
        data["into_case_id"] = await _case_id_from(v.get("into_case", ""), "into_case_id")
    elif event == "note":
        data["text"] = v.get("text", "").strip()
    elif event == "refer":
        data.update(plugin=v.get("plugin", "").strip(), reason=v.get("reason", "").strip())
    elif event == "resume":
        data["result"] = v.get("result", "").strip()
    return data


def _lines(text: str) -> list[str]:
    parts = [p.strip() for chunk in text.splitlines() for p in chunk.replace(",", ",").replace("、", ",").split(",")]
    return [p[:120] for p in parts if p]
