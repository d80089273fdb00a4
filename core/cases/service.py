"""Case services: intake, events that are not user actions, and reads."""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
from piccolo.querystring import QueryString

from core import clock, lookups
from core.actors import Actor
from core.cases import effects as _effects  # noqa: F401  (registers the lifecycle's effects)
from core.cases import schemas as s
from core.cases.access import ensure_can_see
from core.cases.deadlines import first_deadlines, insert_deadlines, next_due
from core.cases.lifecycle import TRANSITIONS, Change, Transition, write_event
from core.cases.tables import Case, IdempotencyRecord, Party
from core.db import engine, insert_rows, is_sqlite, write_transaction
from core.deadlines import Event
from core.errors import Conflict, Forbidden, JiefenError, NotFound, ValidationFailed
from core.plugins.manager import call_first
from core.privacy.sensitive import is_minor
from core.roster.tables import Mediator
from core.roster.types import offered_at
from core.settings import get_settings

CASE_COLUMNS = tuple(c._meta.db_column_name for c in Case._meta.columns)
SUBMIT = Transition("submit", frozenset(), "submitted", frozenset(), s.NoData, "A new case arrives.")


async def next_number(case: dict[str, Any], now: datetime) -> str:
    """Allocate the next official number inside the caller's transaction: a rollback gives it back.

    Called at registration; the counter row stays locked until that transaction commits.
    """
    settings = get_settings()
    year = now.astimezone(settings.zone).year
    scope = str(year)
    # One statement: the year's first number creates the row, every other one increments it.
    rows = await engine().run_querystring(QueryString(
        "INSERT INTO case_counter (scope, value) VALUES ({}, 1)"
        " ON CONFLICT (scope) DO UPDATE SET value = case_counter.value + 1 RETURNING value", scope,
    ))
    seq = rows[0]["value"]
    return await call_first("case_number", None, prefix=settings.case_number_prefix, year=year, seq=seq, case=case)


# No 0/O, 1/I: the reference is read out over the phone.
_REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def application_reference(now: datetime) -> str:
    """The reference a case carries from submission until registration numbers it: the local
    date and 8 random characters (32^8 a day, so no counter and no lock), e.g. 申20261123-K7Q3-9XD2."""
    day = now.astimezone(get_settings().zone).strftime("%Y%m%d")
    code = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))
    return f"申{day}-{code[:4]}-{code[4:]}"


async def create_case(
    data: s.CaseIn, actor: Actor, *, org_id: int | None = None, idempotency: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """Register a new case from any channel; with ``accept_now`` it is accepted in the same go.

    ``idempotency`` is (client, key): a retry with the same key returns the first case.
    """
    org_id = org_id or actor.org_id
    if not any(p.role == "applicant" for p in data.parties):
        raise ValidationFailed("A case needs at least one applicant.")
    # The organisation is part of the request: the same key and body sent to another centre is
    # a different request, not a replay.
    request_hash = hashlib.sha256(msgspec.json.encode(data) + f"|org:{org_id}".encode()).hexdigest()
    # No lookup of the key first: a fresh key (the common case) costs nothing extra; a replay
    # fails on the key's unique index at the end, rolls back, and is answered below.
    try:
        # Organisations and dispute types come from a short-lived cache (core/lookups.py).
        dtype = await lookups.dispute_type(data.dispute_type)
        if dtype is None or not dtype["active"]:
            raise ValidationFailed("Unknown dispute type: {code}", code=data.dispute_type)
        org = await lookups.organisation(org_id)
        if org is None:
            raise NotFound("Unknown organisation.")
        if not offered_at(dtype, org["path"]):
            # Another town's own type: as unknown here as a code that does not exist.
            raise ValidationFailed("Unknown dispute type: {code}", code=data.dispute_type)
        place = None
        if data.place_id:
            place = await lookups.organisation(data.place_id)
            if place is None or not (place["path"].startswith(org["path"]) or org["path"].startswith(place["path"])):
                raise NotFound("Unknown organisation.")
        if data.preferred_mediator_id:
            mediator = await Mediator.select(Mediator.id, Mediator.active).where(Mediator.id == data.preferred_mediator_id).first()
            if not mediator or not mediator["active"]:
                raise Conflict("The mediator is not active or is not on the roster.")
        if data.accept_now and not actor.has_any(frozenset({"window_staff", "supervisor", "admin"})):
            raise Forbidden()

        now = clock.now()
        submitted = {"channel": data.channel, "parties": len(data.parties)}
        # The case's only event is known, so its deadlines are computed here, not re-read.
        # States as of the real time, as refresh_deadlines gives them (the clock may be backdated).
        deadlines = await first_deadlines(
            org, data.channel, data.dispute_type, Event("submit", now, None, "submitted", submitted), datetime.now(UTC),
        )
        async with write_transaction():
            collective = any(p.represented_count > 1 or p.is_representative for p in data.parties)
            party_rows = [msgspec.to_builtins(p) for p in data.parties]
            today = now.astimezone(get_settings().zone).date()
            for row in party_rows:
                row["is_minor"] = is_minor(row, today)
            reference = application_reference(now)
            case = (await insert_rows(Case, [{
                "number": reference, "application_ref": reference, "channel": data.channel, "dispute_type": data.dispute_type,
                "title": data.title, "description": data.description, "amount": data.amount, "state": "submitted",
                "risk_level": data.risk_level, "place": place["id"] if place else None, "place_path": place["path"] if place else "",
                "org": org["id"], "org_path": org["path"], "preferred_mediator": data.preferred_mediator_id,
                "preferred_time": data.preferred_time, "preferred_mode": data.preferred_mode,
                "preferred_place": data.preferred_place, "external_ref": data.external_ref,
                "source_key": actor.label, "created_by": actor.user_id, "is_collective": collective,
                "sensitive": bool(dtype and dtype["sensitive"]) or any(r["is_minor"] for r in party_rows),
                "submitted_at": now, "updated_at": now, "next_due_at": next_due(deadlines),
            }], returning=CASE_COLUMNS))[0]
            await insert_rows(Party, [{"case": case["id"], **row} for row in party_rows])
            change = Change(case={**case, "state": None}, actor=actor, data=None, transition=SUBMIT, now=now)
            change.payload = submitted
            await write_event(case, change, new_case=True)
            await insert_deadlines(case["id"], deadlines)
            if data.accept_now:
                from core.cases.lifecycle import transition

                accepted = await transition(
                    case["id"], "accept", actor,
                    s.AcceptData(rights_notified=data.rights_notified, consent=data.consent, risk_level=data.risk_level),
                )
                case = {**case, "state": accepted["to_state"], "version": accepted["version"]}
                # The case still carries its reference, so the accept numbered it and its event
                # names the number (effects._accept): no read back.
                number = accepted["payload"]["number"]
            else:
                number = reference
            result = {"id": case["id"], "state": case["state"], "version": case["version"]}
            if idempotency:
                # Kept without the number: a replay reads the case's current one, which
                # registration may have changed since.
                await insert_rows(IdempotencyRecord, [
                    {"client": idempotency[0], "key": idempotency[1], "request_hash": request_hash, "case": case["id"], "response": result}
                ])
            result = {"id": case["id"], "number": number, **result}
    except Exception as exc:
        # A replay (or two retries racing: the loser's insert of the key fails), or a refusal
        # of a request whose key was already answered: answer with the first result.
        if idempotency and (_is_unique_violation(exc) or isinstance(exc, JiefenError)):
            existing = await _idempotent_result(idempotency, request_hash)
            if existing:
                return existing
        raise
    from core.plugins.host import after_commit

    await after_commit({})
    return result


def _is_unique_violation(exc: Exception) -> bool:
    text = f"{type(exc).__name__} {exc}".lower()
    return "unique" in text or "duplicate key" in text


async def _idempotent_result(idempotency: tuple[str, str], request_hash: str) -> dict[str, Any] | None:
    record = await IdempotencyRecord.select().where(
        (IdempotencyRecord.client == idempotency[0]) & (IdempotencyRecord.key == idempotency[1])
    ).first()
    if record is None:
        return None
    if record["request_hash"] != request_hash:
        raise Conflict("This Idempotency-Key was used for a different request.")
    response = record["response"]
    result = dict(json.loads(response) if isinstance(response, str) else response)
    if "number" not in result:
        case = await Case.select(Case.number).where(Case.id == record["case"]).first()
        result["number"] = case["number"] if case else None
    return {"id": result.pop("id"), "number": result.pop("number"), **result, "replayed": True}


async def record_action(case_id: int, name: str, actor: Actor, payload: dict[str, Any]) -> dict[str, Any]:
    """An event that is not one of the table's actions (a merge landing, a plugin's step …).

    It still bumps the case's version, which is what serialises the hash chain.
    """
    from core.cases.lifecycle import _bump

    async with write_transaction():
        # Locked: nobody looked at a version here, so two system events on one case (two deadline
        # steps run side by side by a worker) wait for each other instead of one failing with
        # Conflict and spending a try. SQLite has one writer already.
        query = Case.select().where(Case.id == case_id)
        case = await (query if is_sqlite() else query.lock_rows()).first()
        if case is None:
            raise NotFound()
        # Never the table's own transition: this event must not change the state.
        summary = TRANSITIONS[name].summary if name in TRANSITIONS else ""
        as_event = Transition(name, frozenset(), None, frozenset(), s.NoData, summary)
        change = Change(case=case, actor=actor, data=None, transition=as_event, now=clock.now())
        change.payload = payload
        updated = await _bump(case, change)
        return await write_event(updated, change)


async def get_case(case_id: int, actor: Actor) -> dict[str, Any]:
    case = await Case.select(
        *Case.all_columns(), Case.org.name.as_alias("org_name"), Case.place.name.as_alias("place_name"),
        Case.assigned_org.name.as_alias("assigned_org_name"), Case.assignee.display_name.as_alias("assignee_name"),
    ).where(Case.id == case_id).first()
    if case is None:
        raise NotFound()
    ensure_can_see(actor, case)
    return case


async def likely_duplicates(phones: list[str], id_numbers: list[str], dispute_type: str, actor: Actor, exclude: int | None = None) -> list[dict[str, Any]]:
    """Cases with the same party phone or ID number and type within the window."""
    from core.cases.access import visible_filter

    phones = [p for p in phones if p]
    id_numbers = [i for i in id_numbers if i]
    if not phones and not id_numbers:
        return []
    since = datetime.now(UTC) - timedelta(days=get_settings().duplicate_window_days)
    match = None
    if phones:
        match = Party.phone.is_in(phones)
    if id_numbers:
        by_id = Party.id_number.is_in(id_numbers)
        match = by_id if match is None else (match | by_id)
    case_ids = {r["case"] for r in await Party.select(Party.case).where(match)}
    case_ids.discard(exclude)
    if not case_ids:
        return []
    from core.privacy.sensitive import handles_filter

    # Matched by a phone or ID number: a sensitive case shows only to those handling it.
    rows = await Case.select(Case.id, Case.number, Case.state, Case.dispute_type, Case.submitted_at).where(
        Case.id.is_in(list(case_ids)) & (Case.submitted_at >= since) & visible_filter(actor) & handles_filter(actor)
    ).order_by(Case.id, ascending=False).limit(20)
    for row in rows:
        row["same_type"] = row["dispute_type"] == dispute_type
    return sorted(rows, key=lambda r: (not r["same_type"], -r["id"]))
