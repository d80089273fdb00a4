"""The transfer flow, testable without HTTP.

::

    in_mediation ─transfer→ referred (transfer pending, due in N working days)
        accept  → resume + redispatch to the association's mediator (or its pool): the
                  association mediates with the core's own tools under its own seal;
                  agree / fail / withdraw on the case conclude the transfer (the outcome back)
        decline → resume: back with the centre's mediator
        no answer by the due time (cron) → resume + urge: back with the centre, urged
        cancel  (the centre, while pending) → resume
        return  (the association, after accepting) → redispatch to the centre's mediator

State changes go through the lifecycle as the plugin (``plugin_actor``); each step people take
is also a plugin event on the timeline, in the same transaction. Payloads hold ids only.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from core.cases.access import mask_name
from core.cases.tables import Case, Party
from core.deadlines.calendar import add_working_days
from core.errors import BadRequest, Conflict, Forbidden, NotFound
from core.orgs.tables import Organisation
from core.plugins import (
    Actor,
    enabled_for_path,
    gettext,
    plugin_actor,
    plugin_settings,
    record_action,
    transition,
    write_transaction,
)
from core.roster.tables import DisputeType, Mediator
from plugins.industry_assoc.registry import (
    NAME,
    STAFF_ROLE,
    detail,
    is_association_staff,
    may_keep,
    takes,
)
from plugins.industry_assoc.tables import Association, Transfer

log = logging.getLogger("jiefen.plugins.industry_assoc")

S = Transfer.Status
OPEN = (S.pending, S.accepted)
DESK = frozenset({"window_staff", "supervisor", "admin"})
WORK = frozenset({"mediator", "handler"})
OUTCOMES = {"agree": Transfer.Outcome.agreed, "fail": Transfer.Outcome.failed, "withdraw": Transfer.Outcome.withdrawn}


def actor() -> Actor:
    return plugin_actor(NAME)


def answer_days(association: dict[str, Any]) -> int:
    return association.get("answer_working_days") or plugin_settings(NAME).answer_working_days


# ---------------------------------------------------------------- who may do what


def may_transfer(case: dict[str, Any], who: Actor) -> bool:
    """The case's own mediator, or the desk and leaders of the level responsible for it."""
    if case["state"] != "in_mediation" or who.kind not in ("staff", "api_key"):
        return False
    if who.user_id is not None and case.get("assignee") == who.user_id and who.has_any(WORK):
        return True
    return who.has_any(DESK) and who.covers(case.get("org_path"))


def may_cancel(case: dict[str, Any], transfer: dict[str, Any], who: Actor) -> bool:
    if who.kind not in ("staff", "api_key"):
        return False
    if who.user_id is not None and who.user_id in (transfer["transferred_by"], transfer["previous_assignee"]):
        return True
    return who.has_any(DESK) and who.covers(case.get("org_path"))


# ---------------------------------------------------------------- reads


async def open_transfer(case_id: int) -> dict[str, Any] | None:
    return await Transfer.select().where((Transfer.case_id == case_id) & Transfer.status.is_in(list(OPEN))).first()


async def transfers_of_case(case_id: int) -> list[dict[str, Any]]:
    rows = await Transfer.select().where(Transfer.case_id == case_id).order_by(Transfer.id)
    return await _enrich(rows)


async def _enrich(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Transfers with the association's name and the mediator's name."""
    if not rows:
        return []
    associations = {a["id"]: a for a in await Association.select(Association.id, Association.organisation_id).where(
        Association.id.is_in(list({r["association"] for r in rows}))
    )}
    orgs = {o["id"]: o for o in await Organisation.select(Organisation.id, Organisation.name, Organisation.path).where(
        Organisation.id.is_in([a["organisation_id"] for a in associations.values()] or [-1])
    )}
    mediators = {m["id"]: m["name"] for m in await Mediator.select(Mediator.id, Mediator.name).where(
        Mediator.id.is_in([r["mediator_id"] for r in rows if r["mediator_id"]] or [-1])
    )}
    now = datetime.now(UTC)
    out = []
    for r in rows:
        org = orgs.get(associations.get(r["association"], {}).get("organisation_id"), {})
        out.append({
            **r, "association_id": r["association"], "association_name": org.get("name", ""),
            "association_path": org.get("path", ""), "mediator_name": mediators.get(r["mediator_id"], ""),
            "overdue": r["status"] == S.pending and r["due_at"] < now,
        })
    return out


async def list_transfers(who: Actor, status: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """Transfers this actor may see, newest first: an association's staff only those to their
    association; the centre's staff those of the cases in their subtree (or to associations in it)."""
    query = Transfer.select().order_by(Transfer.id, ascending=False).limit(limit)
    if status:
        query = query.where(Transfer.status == status)
    if not who.is_system:
        prefix = who.org_path + "%"
        in_subtree = Organisation.select(Organisation.id).where(Organisation.path.like(prefix))
        mine = Association.select(Association.id).where(Association.organisation_id.is_in(in_subtree))
        if STAFF_ROLE in who.roles:
            query = query.where(Transfer.association.is_in(mine))
        else:
            cases = Case.select(Case.id).where(Case.org_path.like(prefix))
            query = query.where(Transfer.case_id.is_in(cases) | Transfer.association.is_in(mine))
    return await _enrich(await query)


async def for_association(who: Actor, transfer_id: int) -> dict[str, Any]:
    """A transfer as the association's staff see it before the case is theirs: what the dispute
    is about, with the parties' names masked."""
    transfer = await _association_side(who, transfer_id)
    case = await Case.select(
        Case.id, Case.number, Case.dispute_type, Case.title, Case.description, Case.amount, Case.state,
        Case.place.name.as_alias("place_name"), Case.org.name.as_alias("org_name"),
    ).where(Case.id == transfer["case_id"]).first()
    dtype = await DisputeType.select(DisputeType.label_zh).where(DisputeType.code == case["dispute_type"]).first()
    parties = await Party.select(Party.role, Party.name, Party.kind, Party.represented_count).where(
        (Party.case == case["id"]) & (Party.anonymised == False)  # noqa: E712
    ).order_by(Party.id)
    association = await detail(transfer["association_id"])
    return {
        **transfer,
        "case": {**case, "dispute_type_label": dtype["label_zh"] if dtype else case["dispute_type"]},
        "parties": [{**p, "name": mask_name(p["name"]) if p["kind"] != "company" else p["name"]} for p in parties],
        "mediators": [m for m in association["mediators"] if m["active"] and m["user_id"]],
    }


async def _association_side(who: Actor, transfer_id: int) -> dict[str, Any]:
    rows = await _enrich(await Transfer.select().where(Transfer.id == transfer_id))
    if not rows:
        raise NotFound()
    transfer = rows[0]
    path = transfer["association_path"]
    if not (who.is_system or is_association_staff(who, path) or may_keep(who, path)):
        raise NotFound()
    return transfer


# ---------------------------------------------------------------- the centre's side


async def transfer(case: dict[str, Any], who: Actor, association_id: int, reason: str = "") -> dict[str, Any]:
    """Transfer a case in mediation to an association that takes its type where it happened."""
    if not may_transfer(case, who):
        raise Forbidden()
    association = await detail(association_id)
    if not association["active"]:
        raise NotFound("Unknown association.")
    if takes(association, case) is None:
        raise BadRequest("This association does not take this kind of dispute in this area.")
    now = datetime.now(UTC)
    due = add_working_days(now, answer_days(association))
    async with write_transaction():
        if await open_transfer(case["id"]):
            raise Conflict("The case already has an open transfer to an association.")
        rows = await Transfer.insert(
            Transfer(
                case_id=case["id"], association=association_id, reason=reason, transferred_by=who.user_id,
                transferred_at=now, due_at=due, previous_assignee=case.get("assignee"), previous_org=case.get("assigned_org"),
            )
        ).returning(Transfer.id)
        transfer_id = rows[0]["id"]
        await record_action(case["id"], "industry_assoc.transferred", who, {
            "transfer_id": transfer_id, "association_id": association_id, "due_at": due,
        })
        # The state change is the plugin's: refer is the lifecycle's hand-over to a plugin flow.
        await transition(case["id"], "refer", actor(), {
            "plugin": NAME, "reason": gettext("Transferred to {name} for mediation", "zh_CN", name=association["name"]),
        })
    return (await transfers_of_case(case["id"]))[-1]


async def cancel(who: Actor, transfer_id: int) -> dict[str, Any]:
    """The centre takes a pending transfer back before the association answers."""
    row = await Transfer.select().where(Transfer.id == transfer_id).first()
    if row is None:
        raise NotFound()
    case = await Case.select().where(Case.id == row["case_id"]).first()
    if not may_cancel(case, row, who):
        raise NotFound() if not who.covers(case["org_path"]) else Forbidden()
    async with write_transaction():
        if not await _move(transfer_id, S.pending, S.cancelled, {Transfer.answered_at: datetime.now(UTC)}):
            raise Conflict("The association has already answered this transfer.")
        await record_action(row["case_id"], "industry_assoc.cancelled", who, {"transfer_id": transfer_id})
        await _resume(row["case_id"], "cancelled")
    return (await _enrich([await Transfer.select().where(Transfer.id == transfer_id).first()]))[0]


# ---------------------------------------------------------------- the association's side


async def accept(who: Actor, transfer_id: int, mediator_id: int | None = None, note: str = "") -> dict[str, Any]:
    """The association takes the case: it goes back to mediation, dispatched to the association's
    mediator (or its pool), so the core's sessions, record and agreement (under the
    association's own seal) apply."""
    transfer = await _association_side(who, transfer_id)
    if STAFF_ROLE not in who.roles and not who.is_system:
        raise Forbidden()
    association = await detail(transfer["association_id"])
    if transfer["status"] != S.pending:
        raise Conflict("The transfer has already been answered.")
    if transfer["due_at"] < datetime.now(UTC):
        raise Conflict("The time to answer has passed; the case goes back to the centre.")
    if mediator_id is not None and not any(m["id"] == mediator_id and m["active"] and m["user_id"] for m in association["mediators"]):
        raise BadRequest("Choose a mediator of this association.")
    dispatch: dict[str, Any] = (
        {"mediator_id": mediator_id} if mediator_id is not None else {"organisation_id": association["organisation_id"], "to_pool": True}
    )
    async with write_transaction():
        moved = await _move(transfer_id, S.pending, S.accepted, {
            Transfer.answered_by: who.user_id, Transfer.answered_at: datetime.now(UTC), Transfer.answer_note: note,
            Transfer.mediator_id: mediator_id,
        })
        if not moved:
            raise Conflict("The transfer has already been answered.")
        await _ensure_referred(transfer["case_id"])
        await record_action(transfer["case_id"], "industry_assoc.accepted", who, {"transfer_id": transfer_id, "mediator_id": mediator_id})
        await _resume(transfer["case_id"], "accepted")
        await transition(transfer["case_id"], "redispatch", actor(), dispatch)
    return await for_association(who, transfer_id)


async def decline(who: Actor, transfer_id: int, reason: str) -> dict[str, Any]:
    transfer = await _association_side(who, transfer_id)
    if STAFF_ROLE not in who.roles and not who.is_system:
        raise Forbidden()
    if not reason.strip():
        raise BadRequest("Give a reason.")
    async with write_transaction():
        moved = await _move(transfer_id, S.pending, S.declined, {
            Transfer.answered_by: who.user_id, Transfer.answered_at: datetime.now(UTC), Transfer.answer_note: reason,
        })
        if not moved:
            raise Conflict("The transfer has already been answered.")
        await record_action(transfer["case_id"], "industry_assoc.declined", who, {"transfer_id": transfer_id})
        await _resume(transfer["case_id"], "declined")
    return await for_association(who, transfer_id)


async def give_back(who: Actor, transfer_id: int, reason: str) -> dict[str, Any]:
    """After accepting, the association hands the case back unresolved to the centre's mediator
    (or, when it had none, the pool it came from)."""
    transfer = await _association_side(who, transfer_id)
    if STAFF_ROLE not in who.roles and not who.is_system:
        raise Forbidden()
    if not reason.strip():
        raise BadRequest("Give a reason.")
    case = await Case.select().where(Case.id == transfer["case_id"]).first()
    if transfer["status"] != S.accepted or case["state"] not in ("assigned", "in_mediation"):
        raise Conflict("Only a case the association is mediating can be handed back.")
    if transfer["previous_assignee"]:
        dispatch: dict[str, Any] = {"assignee_id": transfer["previous_assignee"]}
    else:
        dispatch = {"organisation_id": transfer["previous_org"] or case["org"], "to_pool": True}
    async with write_transaction():
        if not await _move(transfer_id, S.accepted, S.returned, {Transfer.outcome_at: datetime.now(UTC), Transfer.report: reason}):
            raise Conflict("Only a case the association is mediating can be handed back.")
        await record_action(transfer["case_id"], "industry_assoc.returned", who, {"transfer_id": transfer_id})
        await transition(transfer["case_id"], "redispatch", actor(), dispatch)
    return await for_association(who, transfer_id)


async def report(who: Actor, transfer_id: int, text: str) -> dict[str, Any]:
    """The association's written account of its mediation, for the centre (回告)."""
    transfer = await _association_side(who, transfer_id)
    if STAFF_ROLE not in who.roles and not who.is_system:
        raise Forbidden()
    if transfer["status"] not in (S.accepted, S.concluded, S.returned):
        raise Conflict("Report on a transfer the association accepted.")
    if not text.strip():
        raise BadRequest("The report is empty.")
    async with write_transaction():
        await Transfer.update({Transfer.report: text, Transfer.reported_by: who.user_id, Transfer.reported_at: datetime.now(UTC)}).where(
            Transfer.id == transfer_id
        )
        await record_action(transfer["case_id"], "industry_assoc.reported", who, {"transfer_id": transfer_id})
    return await for_association(who, transfer_id)


# ---------------------------------------------------------------- after the fact


async def on_event(case: dict[str, Any], event: dict[str, Any]) -> None:
    """The observer: the case's outcome concludes an accepted transfer; a resume by someone else
    while a transfer is pending cancels it. Idempotent (each change is conditional)."""
    name = event["name"]
    if name in NOTICES:
        await tell_centre(case, event)
    if name in OUTCOMES:
        await conclude(case, OUTCOMES[name])
    elif name == "resume" and event.get("actor_label") != f"plugin:{NAME}":
        row = await Transfer.select().where((Transfer.case_id == case["id"]) & (Transfer.status == S.pending)).first()
        if row:
            async with write_transaction():
                if await _move(row["id"], S.pending, S.cancelled, {Transfer.answered_at: datetime.now(UTC)}):
                    await record_action(case["id"], "industry_assoc.cancelled", actor(), {"transfer_id": row["id"]})


# The association's answers and its end, told to whoever at the centre transferred the case.
NOTICES = {f"{NAME}.{what}": f"{NAME}_{what}" for what in ("accepted", "declined", "returned", "concluded")}
OUTCOME_EN = {"agreed": "agreement reached", "failed": "no agreement", "withdrawn": "withdrawn by the applicant"}


async def tell_centre(case: dict[str, Any], event: dict[str, Any]) -> None:
    """After commit (the observer); ``notify`` keys on the transfer and the event, so a retried
    delivery tells nobody twice."""
    from core.i18n import dgettext
    from core.plugins import notify

    transfer_id = (event.get("payload") or {}).get("transfer_id")
    row = await Transfer.select(Transfer.transferred_by, Transfer.outcome, Transfer.association.organisation_id.as_alias("org_id")).where(
        Transfer.id == (transfer_id or -1)
    ).first()
    if row is None or not row["transferred_by"]:
        return
    org = await Organisation.select(Organisation.name).where(Organisation.id == row["org_id"]).first()
    outcome = (event.get("payload") or {}).get("outcome") or row["outcome"] or ""

    def params(locale: str) -> dict[str, Any]:
        said = dgettext(NAME, OUTCOME_EN[outcome], locale) if outcome in OUTCOME_EN else ""
        return {"number": case["number"], "association": org["name"] if org else "", "outcome": said}

    await notify(
        key=f"{NAME}:{event['name']}:{transfer_id}", kind=NOTICES[event["name"]], case=case, params=params,
        user_id=row["transferred_by"], link=f"/admin/cases/{case['id']}",
    )


async def conclude(case: dict[str, Any], outcome: str) -> None:
    row = await Transfer.select().where((Transfer.case_id == case["id"]) & (Transfer.status == S.accepted)).first()
    if row is None:
        return
    association = await Association.select(Association.organisation_id).where(Association.id == row["association"]).first()
    current = await Case.select(Case.assigned_org).where(Case.id == case["id"]).first()
    # The centre took the case back from the association before the outcome: not the association's.
    mine = current is not None and association is not None and current["assigned_org"] == association["organisation_id"]
    async with write_transaction():
        now = datetime.now(UTC)
        if mine:
            if await _move(row["id"], S.accepted, S.concluded, {Transfer.outcome: outcome, Transfer.outcome_at: now}):
                await record_action(case["id"], "industry_assoc.concluded", actor(), {"transfer_id": row["id"], "outcome": outcome})
        elif await _move(row["id"], S.accepted, S.returned, {Transfer.outcome_at: now}):
            await record_action(case["id"], "industry_assoc.returned", actor(), {"transfer_id": row["id"]})


async def expire_overdue(now: datetime | None = None) -> int:
    """No answer by the due time: the case goes back to the centre's mediator, who is urged.
    Runs from cron over every town; towns where the plugin is off are skipped."""
    now = now or datetime.now(UTC)
    rows = await Transfer.select().where((Transfer.status == S.pending) & (Transfer.due_at < now)).order_by(Transfer.id)
    expired = 0
    for row in rows:
        case = await Case.select(Case.id, Case.org_path, Case.state).where(Case.id == row["case_id"]).first()
        if case is None or not await enabled_for_path(NAME, case["org_path"]):
            continue
        async with write_transaction():
            if not await _move(row["id"], S.pending, S.timed_out, {Transfer.answered_at: now}):
                continue
            await record_action(case["id"], "industry_assoc.timed_out", actor(), {"transfer_id": row["id"]})
            if await _resume(case["id"], "timed_out"):
                await transition(case["id"], "urge", actor(), {
                    "message": gettext("The industry association did not answer in time; the case is back with you.", "zh_CN"),
                })
        expired += 1
        log.info("industry_assoc: transfer %s of case %s timed out", row["id"], case["id"])
    return expired


# ---------------------------------------------------------------- helpers


async def _move(transfer_id: int, from_status: str, to_status: str, values: dict[Any, Any]) -> bool:
    """Change a transfer's status only if it still is ``from_status`` (one winner under races)."""
    rows = await Transfer.update({Transfer.status: to_status, **values}).where(
        (Transfer.id == transfer_id) & (Transfer.status == from_status)
    ).returning(Transfer.id)
    return bool(rows)


async def _ensure_referred(case_id: int) -> None:
    case = await Case.select(Case.state).where(Case.id == case_id).first()
    if case is None or case["state"] != "referred":
        raise Conflict("The case is no longer waiting for the association.")


async def _resume(case_id: int, result: str) -> bool:
    """Back from the plugin's flow to mediation (when the case is still referred)."""
    case = await Case.select(Case.state).where(Case.id == case_id).first()
    if case is None or case["state"] != "referred":
        return False
    await transition(case_id, "resume", actor(), {"result": result})
    return True


async def veto(case: dict[str, Any], event: str, who: Any, data: Any) -> str | None:
    locale = getattr(who, "locale", None)
    if event == "refer" and getattr(data, "plugin", "") == NAME and getattr(who, "plugin", "") != NAME:
        return gettext("Use the transfer to an industry association, which chooses the association and sets the deadline.", locale)
    if event == "close" and await Transfer.exists().where((Transfer.case_id == case["id"]) & (Transfer.status == S.pending)):
        return gettext("The industry association has not answered the transfer yet; cancel it or wait for the answer.", locale)
    return None


async def anonymise(case_id: int) -> int:
    """Retention: transfers keep their association, states and outcome; the free text goes."""
    rows = await Transfer.select(Transfer.id).where(Transfer.case_id == case_id)
    if rows:
        await Transfer.update({Transfer.reason: "", Transfer.answer_note: "", Transfer.report: ""}).where(Transfer.case_id == case_id)
    return len(rows)
