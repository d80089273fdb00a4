"""The case lifecycle: the one module that changes a case's state.

Read the table below top to bottom: each row is an action, the states it may start from,
the state it leads to (``None``: the state stays, but the action is still an event on the
timeline), the roles allowed, and the data it needs. ``transition()`` checks all of it,
asks plugins for vetoes, applies the action's effect, bumps the version with a check,
writes the event in the same transaction, and hands the event to observers after commit.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import msgspec

from core import clock
from core.actors import Actor
from core.cases import schemas as s
from core.cases.tables import Case, CaseEvent
from core.db import is_sqlite, write_transaction
from core.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationFailed
from core.i18n import label

STATES = (
    "submitted", "registered", "rejected", "assigned", "in_mediation", "referred",
    "agreed", "failed", "withdrawn", "closed",
)
OPEN = frozenset({"submitted", "registered", "assigned", "in_mediation"})
ACTIVE = OPEN | {"referred", "agreed"}
FINAL = frozenset({"rejected", "withdrawn", "closed"})

DESK = frozenset({"window_staff", "supervisor", "admin"})
WORK = frozenset({"mediator", "handler"})
LEAD = frozenset({"supervisor", "admin"})
INTAKE = DESK | {"grid_worker"}


@dataclass(frozen=True)
class Transition:
    event: str
    sources: frozenset[str]
    target: str | None
    roles: frozenset[str]
    data: type[s.ActionData]
    summary: str
    # Only the case's assignee (or a pool member for take) among WORK roles may act.
    assignee_only: bool = False


def _t(event, sources, target, roles, data, summary, assignee_only=False) -> Transition:
    return Transition(event, frozenset(sources), target, frozenset(roles), data, summary, assignee_only)


TABLE: tuple[Transition, ...] = (
    # event             from                                           to              who                    needs
    _t("accept",        {"submitted"},                                 "registered",   DESK,                  s.AcceptData,   "Register the case: gives its official number; records the notice of rights and consent."),
    _t("reject",        {"submitted"},                                 "rejected",     DESK,                  s.ReasonData,   "Decline to take the case, with a reason."),
    _t("dispatch",      {"registered"},                                "assigned",     DESK,                  s.DispatchData, "Send to a mediator, a handler or a body's pool (by hand or by rules)."),
    _t("uphold",        {"registered"},                                "assigned",     DESK,                  s.ReasonData,   "Refuse a return: the case goes back to whoever returned it."),
    _t("redispatch",    {"assigned", "in_mediation"},                  "assigned",     DESK,                  s.DispatchData, "Dispatch again to someone else (改派)."),
    _t("return",        {"assigned"},                                  "registered",   WORK,                  s.ReasonData,   "The assignee hands the case back with a reason (退单).", True),
    _t("take",          {"assigned"},                                  "in_mediation", WORK,                  s.NoData,       "The assignee, or a pool member, takes the case (接单/抢单).", True),
    _t("escalate",      {"registered", "assigned", "in_mediation"},    "registered",   DESK | WORK,           s.EscalateData, "Move to the parent level after the minimum attempts; high risk may skip."),
    _t("refer",         {"in_mediation"},                              "referred",     WORK,                  s.ReferData,    "Hand to a plugin's flow (counselling, legal aid …).", True),
    _t("resume",        {"referred"},                                  "in_mediation", WORK | LEAD,           s.ResumeData,   "Back from a plugin's flow to mediation."),
    _t("agree",         {"in_mediation"},                              "agreed",       WORK,                  s.AgreeData,    "An agreement takes effect: the written one when fully signed (fired by the last signature), or an oral one with its terms.", True),
    _t("fail",          {"in_mediation"},                              "failed",       WORK,                  s.FailData,     "Mediation failed; the advice given is recorded.", True),
    _t("withdraw",      OPEN,                                          "withdrawn",    DESK | WORK | {"party"}, s.ReasonData, "The applicant withdraws."),
    _t("reopen",        {"agreed"},                                    "in_mediation", WORK | DESK,           s.ReasonData,   "A follow-up found the agreement not performed."),
    _t("close",         {"agreed", "failed", "referred"},              "closed",       DESK | WORK,           s.NoData,       "Close; an agreed case needs a follow-up that found it performed."),
    _t("merge",         {"submitted", "registered", "assigned"},       "closed",       DESK,                  s.MergeData,    "A duplicate becomes part of another case (并单)."),
    # Actions that leave the state as it is.
    _t("first_contact", {"assigned", "in_mediation"},                  None,           WORK,                  s.FirstContactData, "First contact with the parties (72 hours for online applications).", True),
    _t("schedule_session", {"in_mediation"},                           None,           WORK,                  s.ScheduleSessionData, "Schedule a session: time, place, mode, attendees.", True),
    _t("record_session", {"in_mediation"},                             None,           WORK,                  s.RecordSessionData, "Record a held session (调解笔录).", True),
    _t("draft_agreement", {"in_mediation"},                            None,           WORK,                  s.DraftAgreementData, "Draft or revise the written agreement; every revision is kept.", True),
    _t("finalise_agreement", {"in_mediation"},                         None,           WORK,                  s.FinaliseAgreementData, "Freeze the draft and its SHA-256 for signing; no more edits.", True),
    _t("cancel_session", {"in_mediation"},                             None,           WORK,                  s.CancelSessionData, "Cancel a scheduled session.", True),
    _t("follow_up",     {"agreed"},                                    None,           WORK | DESK,           s.FollowUpData, "A follow-up visit or call; performed or not, and a rating."),
    _t("extend",        {"in_mediation"},                              None,           WORK | LEAD,           s.ExtendData,   "Extend the mediation deadline once, with both parties' consent."),
    _t("urge",          ACTIVE - {"submitted"},                        None,           LEAD,                  s.MessageData,  "Urge the assignee (催办)."),
    _t("supervise",     ACTIVE - {"submitted"},                        None,           LEAD,                  s.MessageData,  "Supervision by the level above (督办)."),
    _t("own",           ACTIVE,                                        None,           LEAD,                  s.OwnData,      "A leader takes personal ownership of the case (包案)."),
    _t("set_risk",      ACTIVE,                                        None,           DESK | WORK,           s.SetRiskData,  "Change the risk level."),
    _t("add_party",     ACTIVE,                                        None,           DESK | WORK,           s.AddPartyData, "Add a party."),
    _t("add_assisting_unit", {"assigned", "in_mediation"},             None,           DESK,                  s.UnitData,     "Invite an assisting unit (协办/联调)."),
    # Any state an assisting unit may still be on the case in (none before dispatch).
    _t("release_assisting_unit", set(STATES) - {"submitted", "rejected"}, None,      DESK,                  s.UnitData,     "End an assisting unit's part (released, withdrawn or done): its staff no longer see the case."),
    _t("link",          set(STATES),                                   None,           DESK | WORK,           s.LinkData,     "Link a related case."),
    _t("note",          set(STATES),                                   None,           DESK | WORK,           s.NoteData,     "A note on the timeline."),
    _t("declare_conflict", {"assigned", "in_mediation"},               "registered",   WORK,                  s.DeclareConflictData, "The assignee declares a conflict (回避); the case returns to the desk.", True),
)
TRANSITIONS: dict[str, Transition] = {t.event: t for t in TABLE}


@dataclass
class Change:
    """What an action is about to do; effects fill in updates, payload and outbox rows."""

    case: dict[str, Any]
    actor: Actor
    data: Any
    transition: Transition
    now: datetime
    updates: dict[str, Any] = field(default_factory=dict)
    payload: dict[str, Any] = field(default_factory=dict)
    outbox: list[tuple[str, dict[str, Any], str | None]] = field(default_factory=list)
    # Rows that only exist after the case row is updated (e.g. the merged case's survivor event).
    afterwards: list[Callable[[dict[str, Any]], Awaitable[None]]] = field(default_factory=list)

    @property
    def target(self) -> str:
        return self.transition.target or self.case["state"]


Effect = Callable[[Change], Awaitable[None]]
EFFECTS: dict[str, Effect] = {}
GUARDS: dict[str, Callable[[Change], Awaitable[None]]] = {}


def effect(event: str) -> Callable[[Effect], Effect]:
    def register(fn: Effect) -> Effect:
        EFFECTS[event] = fn
        return fn

    return register


def guard(event: str) -> Callable[[Effect], Effect]:
    def register(fn: Effect) -> Effect:
        GUARDS[event] = fn
        return fn

    return register


def parse_data(transition: Transition, raw: Any) -> Any:
    if isinstance(raw, transition.data):
        return raw
    try:
        return msgspec.convert(raw or {}, transition.data, strict=False)
    except msgspec.ValidationError as exc:
        raise ValidationFailed(errors=[{"message": str(exc)}]) from exc


def allowed_events(case: dict[str, Any], actor: Actor) -> list[str]:
    """The actions this actor may attempt on this case now (for buttons and the API)."""
    events = []
    for t in TABLE:
        if case["state"] not in t.sources or not actor.has_any(t.roles):
            continue
        if t.assignee_only and not _is_worker_for(case, actor) and not actor.has_any(LEAD) and not actor.is_system:
            continue
        if t.event not in LEVEL_FREE and not _acts_at_level(case, actor):
            continue
        if t.event in OFFERED_ONLY_IF and not OFFERED_ONLY_IF[t.event](case):
            continue
        events.append(t.event)
    return events


# Actions offered only when the case row shows there is something to act on (attempting one
# anyway is refused by its effect).
OFFERED_ONLY_IF: dict[str, Callable[[dict[str, Any]], bool]] = {
    "release_assisting_unit": lambda case: bool((case.get("assisting_paths") or "").strip()),
}


# Actions anyone who sees a case may take. Every other action needs a staff member (or key) of
# the level responsible for the case (its ``org`` or above) or its worker: a village still sees
# a case it escalated, or a department one it assisted, but no longer handles it.
LEVEL_FREE = frozenset({"note", "link"})


def _acts_at_level(case: dict[str, Any], actor: Actor) -> bool:
    if actor.kind not in ("staff", "api_key"):
        return True
    return actor.covers(case.get("org_path")) or _is_worker_for(case, actor)


def _is_worker_for(case: dict[str, Any], actor: Actor) -> bool:
    if actor.user_id is not None and case.get("assignee") == actor.user_id:
        return True
    return bool(case.get("in_pool")) and actor.org_id is not None and case.get("assigned_org") == actor.org_id


async def transition(
    case_id: int, event: str, actor: Actor, data: Any = None, *, expected_version: int | None = None,
) -> dict[str, Any]:
    """Apply ``event`` to the case as ``actor``; returns the event written. Raises on any refusal."""
    from core.cases.access import ensure_can_see
    from core.plugins import host

    t = TRANSITIONS.get(event)
    if t is None:
        raise NotFound()
    parsed = parse_data(t, data)
    if expected_version is None:
        expected_version = getattr(parsed, "version", None)
    async with write_transaction():
        query = Case.select().where(Case.id == case_id)
        if expected_version is None and not is_sqlite() and event != "merge":
            # No version named: the caller acts on the case as it is now, so wait for a concurrent
            # action and judge this one against its outcome instead of answering 409. SQLite
            # already has one writer at a time. A merge locks its two cases itself, in id order.
            query = query.lock_rows()
        case = await query.first()
        if case is None:
            raise NotFound()
        ensure_can_see(actor, case)
        stale = expected_version is not None and case["version"] != expected_version
        if stale and not await _only_unattended_notes_since(case, expected_version):
            raise Conflict()
        if case["state"] not in t.sources:
            raise InvalidTransition(
                event=label("event", event, actor.locale), state=label("state", case["state"], actor.locale)
            )
        if not actor.has_any(t.roles):
            raise Forbidden("Your role may not {event} a case.", event=label("event", event, actor.locale))
        if t.assignee_only and not (_is_worker_for(case, actor) or actor.has_any(LEAD)):
            raise Forbidden("Only the assignee may do this.")
        if t.event not in LEVEL_FREE and not _acts_at_level(case, actor):
            raise Forbidden("The case is handled at another level; you may only add notes and links.")
        change = Change(case=case, actor=actor, data=parsed, transition=t, now=clock.now())
        if t.event in GUARDS:
            await GUARDS[t.event](change)
        await host.check_vetoes(case, t, actor, parsed)
        if t.event in EFFECTS:
            await EFFECTS[t.event](change)
        change.updates.pop("state", None)
        updated = await _bump(case, change)
        written = await write_event(updated, change)
        for after in change.afterwards:
            await after(updated)
    await host.after_commit(written)
    return written


async def _only_unattended_notes_since(case: dict[str, Any], version: int) -> bool:
    """A page opened at ``version`` may still act when all that happened since is events that
    kept the state and had no staff member behind them: a receipt PDF issued by the jobs, a
    deadline reminder, a party's message. Without this, staff who registered a case got a 409
    on their next click whenever the receipt job finished first. (``version`` counts events.)"""
    if version > case["version"] or version < 1:
        return False
    since = await CaseEvent.select(CaseEvent.from_state, CaseEvent.to_state, CaseEvent.actor).where(
        (CaseEvent.case == case["id"]) & (CaseEvent.seq > version)
    )
    return bool(since) and all(e["actor"] is None and e["from_state"] == e["to_state"] for e in since)


async def _bump(case: dict[str, Any], change: Change) -> dict[str, Any]:
    values: dict[Any, Any] = {getattr(Case, k): v for k, v in change.updates.items()}
    values[Case.state] = change.target
    values[Case.version] = Case.version + 1
    values[Case.updated_at] = change.now
    rows = await (
        Case.update(values)
        .where((Case.id == case["id"]) & (Case.version == case["version"]))
        .returning(*Case.all_columns())
    )
    if not rows:
        raise Conflict()
    return rows[0]


async def write_event(case: dict[str, Any], change: Change, *, new_case: bool = False) -> dict[str, Any]:
    """The event row, its outbox rows and the deadline refresh, all in the caller's transaction.

    ``new_case``: the case was inserted in this transaction (intake), so this is its first event
    and the caller wrote its deadlines already."""
    from core.cases.deadlines import refresh_deadlines
    from core.cases.timeline import append_event
    from core.jobs.outbox import enqueue

    payload = dict(change.payload)
    if change.data is not None and getattr(change.data, "note", ""):
        payload.setdefault("note", change.data.note)
    event = await append_event(
        case["id"], change.transition.event, change.actor, from_state=change.case["state"],
        to_state=case["state"], payload=payload, at=change.now, first=new_case,
    )
    event["version"] = case["version"]
    await enqueue("deliver_event", {"event_id": event["id"], "case_id": case["id"]}, case_id=case["id"], dedupe_key=f"event:{event['id']}")
    for job, job_payload, dedupe in change.outbox:
        await enqueue(job, job_payload, case_id=case["id"], dedupe_key=dedupe)
    if not new_case:
        await refresh_deadlines(case["id"])
    return event
