"""The legal-aid handoff's rules, testable without HTTP.

* **the case side** — the case's assignee and the desk, supervisors and administrators of the
  level responsible for it — screens applicants and hands eligible ones to a legal-aid centre;
* **the centre** — staff with role ``legal_aid_staff`` at the centre (organisation type
  ``legal_aid_centre``) — sees only the handoffs made to it, through this plugin's endpoints
  (the core's visibility is by subtree, which would show them nothing or too much), accepts or
  declines within the deadline, assigns a lawyer, reports the route and the outcome.

Every step lands on the case's timeline as ``legal_aid.<what>`` with ids and codes only.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from core.auth.tables import StaffUser
from core.cases.tables import Case, CaseEvent, Party
from core.errors import BadRequest, Conflict, Forbidden, NotFound
from core.orgs.tables import Organisation
from core.plugins import (
    Actor,
    enabled_for_case,
    gettext,
    notify,
    plugin_actor,
    plugin_settings,
    record_action,
    transition,
    write_transaction,
)
from plugins.legal_aid import eligibility, package
from plugins.legal_aid.tables import Applicant, Handoff, Package, Screening

log = logging.getLogger("jiefen.plugins.legal_aid")

PLUGIN = "legal_aid"
STAFF_ROLE = "legal_aid_staff"
WORKERS = frozenset({"mediator", "handler"})
DESK = frozenset({"window_staff", "supervisor", "admin"})
SCREENABLE = frozenset({"registered", "assigned", "in_mediation", "referred", "failed", "agreed"})
HANDABLE = frozenset({"assigned", "in_mediation", "referred", "failed"})
ACTIVE = (Handoff.Status.pending, Handoff.Status.accepted)


def _loads(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


# ---------------------------------------------------------------- who may do what


def is_case_side(case: dict[str, Any], actor: Actor) -> bool:
    if actor.is_system:
        return True
    if actor.kind != "staff":
        return False
    if actor.user_id is not None and case.get("assignee") == actor.user_id and actor.has_any(WORKERS):
        return True
    return actor.has_any(DESK) and actor.covers(case.get("org_path"))


def is_centre_staff(actor: Actor, handoff: dict[str, Any]) -> bool:
    return actor.kind == "staff" and STAFF_ROLE in actor.roles and actor.org_id == handoff["centre_id"]


def may_screen(case: dict[str, Any], actor: Actor) -> bool:
    return case["state"] in SCREENABLE and is_case_side(case, actor) and not actor.is_system


def threshold() -> Decimal:
    return Decimal(str(plugin_settings(PLUGIN).income_threshold_per_member))


# ---------------------------------------------------------------- screening


async def screen(case: dict[str, Any], actor: Actor, applicants: list[dict[str, Any]], answers: dict[str, Any]) -> list[dict[str, Any]]:
    """Screen one or many applicants (a collective wage case screens its workers in one go).

    Each applicant is ``{"party_id"}`` (a party of the case) or ``{"name", "id_number",
    "phone"}`` (a worker the representative speaks for), with an optional ``claim_amount`` and
    ``answers`` of their own over the shared ``answers``."""
    if not may_screen(case, actor):
        raise Forbidden()
    if not applicants:
        raise BadRequest("Name at least one applicant.")
    parties = {p["id"]: p for p in await Party.select(Party.id, Party.case, Party.role).where(Party.case == case["id"])}
    limit = threshold()
    rows = []
    for applicant in applicants:
        party_id = applicant.get("party_id")
        if party_id is not None and party_id not in parties:
            raise NotFound("Unknown party.")
        if party_id is None and not (applicant.get("name") or "").strip():
            raise BadRequest("Name each applicant, or choose a party of the case.")
        mine = eligibility.normalise({**answers, **(applicant.get("answers") or {})})
        verdict = eligibility.judge(mine, limit)
        rows.append(Screening(
            case_id=case["id"], party_id=party_id, name="" if party_id else applicant["name"].strip(),
            id_number="" if party_id else (applicant.get("id_number") or ""), phone="" if party_id else (applicant.get("phone") or ""),
            claim_amount=applicant.get("claim_amount"), answers=mine,
            result=Screening.Result.eligible if verdict.eligible else Screening.Result.not_eligible,
            basis=verdict.basis, reason_code=verdict.code, reason=verdict.reason, threshold=verdict.threshold,
            income_per_member=verdict.per_member, screened_by=actor.user_id, screened_at=datetime.now(UTC),
        ))
    async with write_transaction():
        inserted = await Screening.insert(*rows).returning(Screening.id)
        ids = [r["id"] for r in inserted]
        eligible = sum(1 for r in rows if r.result == Screening.Result.eligible)
        await record_action(case["id"], "legal_aid.screened", actor, {"screening_ids": ids, "eligible": eligible, "not_eligible": len(ids) - eligible})
    return await Screening.select().where(Screening.id.is_in(ids)).order_by(Screening.id).output(load_json=True)


async def screenings_of(case_id: int) -> list[dict[str, Any]]:
    return await Screening.select().where(Screening.case_id == case_id).order_by(Screening.id).output(load_json=True)


# ---------------------------------------------------------------- the handoff


def _county(path: str) -> str:
    first = (path or "").strip("/").split("/")[0]
    return f"/{first}/" if first else "/"


async def centres_for(case: dict[str, Any]) -> list[dict[str, Any]]:
    """Legal-aid centres of the case's county."""
    return await Organisation.select(Organisation.id, Organisation.name, Organisation.path).where(
        (Organisation.type_code == "legal_aid_centre") & (Organisation.active == True)  # noqa: E712
        & Organisation.path.like(_county(case.get("org_path") or "") + "%")
    ).order_by(Organisation.id)


async def centre_staff(centre_id: int) -> list[int]:
    users = await StaffUser.select(StaffUser.id, StaffUser.roles).where(
        (StaffUser.organisation == centre_id) & (StaffUser.active == True)  # noqa: E712
    ).output(load_json=True)
    return [u["id"] for u in users if STAFF_ROLE in (u["roles"] or [])]


async def hand_off(
    case: dict[str, Any], actor: Actor, *, centre_id: int, screening_ids: list[int], note: str = "", pause: bool = True,
) -> dict[str, Any]:
    """Hand eligible applicants to a legal-aid centre with the case summary PDF."""
    if not is_case_side(case, actor) or actor.is_system:
        raise Forbidden()
    if case["state"] not in HANDABLE:
        raise Conflict("The case cannot be handed to legal aid in its present state.")
    centre = next((c for c in await centres_for(case) if c["id"] == centre_id), None)
    if centre is None:
        raise NotFound("Unknown organisation.")
    if not screening_ids:
        raise BadRequest("Choose the applicants to hand over.")
    screenings = await Screening.select().where(Screening.id.is_in(screening_ids) & (Screening.case_id == case["id"])).order_by(Screening.id)
    if len(screenings) != len(set(screening_ids)):
        raise NotFound("Unknown screening.")
    if any(s["result"] != Screening.Result.eligible for s in screenings):
        raise Conflict("Only eligible applicants can be handed to legal aid.")
    busy = await Applicant.select(Applicant.screening).where(
        Applicant.screening.is_in(screening_ids) & Applicant.handoff.status.is_in(list(ACTIVE))
    )
    if busy:
        raise Conflict("An applicant is already with a legal-aid centre.")
    now = datetime.now(UTC)
    due_at = now + timedelta(days=plugin_settings(PLUGIN).decision_days)
    # The PDF first, outside the transaction (it takes a moment); it is stored with the handoff,
    # in the language of whoever hands over (their note is in it too): Chinese unless English.
    pdf, digest = await package.render(await package.context(case, centre, screenings, note, due_at, actor.locale))
    pause = pause and case["state"] == "in_mediation"
    async with write_transaction():
        rows = await Handoff.insert(
            Handoff(case_id=case["id"], centre_id=centre_id, status=Handoff.Status.pending, paused_case=pause, note=note,
                    sent_by=actor.user_id, sent_at=now, due_at=due_at)
        ).returning(Handoff.id)
        handoff_id = rows[0]["id"]
        await Applicant.insert(*[Applicant(handoff=handoff_id, screening=s["id"]) for s in screenings])
        await Package.insert(Package(handoff=handoff_id, pdf=pdf, sha256=digest, created_at=now))
        await record_action(case["id"], "legal_aid.handed_off", actor, {"handoff_id": handoff_id, "applicants": len(screenings), "paused": pause})
        if pause:
            await transition(case["id"], "refer", plugin_actor(PLUGIN), {"plugin": PLUGIN, "reason": gettext("Handed to the legal-aid centre")})
        fresh = await case_row(case["id"])
        for user_id in await centre_staff(centre_id):
            await notify(
                key=f"legal_aid:handoff:{handoff_id}", kind="legal_aid_handoff", case=fresh,
                params={"number": fresh["number"], "count": len(screenings)}, user_id=user_id,
                link=f"/admin/plugins/legal_aid/centre/handoffs/{handoff_id}",
            )
    return await handoff(handoff_id)


async def case_row(case_id: int) -> dict[str, Any]:
    case = await Case.select().where(Case.id == case_id).first()
    if case is None:
        raise NotFound()
    return case


async def handoff(handoff_id: int) -> dict[str, Any]:
    row = await Handoff.select().where(Handoff.id == handoff_id).first()
    if row is None:
        raise NotFound()
    return row


async def handoffs_of(case_id: int) -> list[dict[str, Any]]:
    return await Handoff.select().where(Handoff.case_id == case_id).order_by(Handoff.id)


async def applicants_of(handoff_ids: list[int]) -> list[dict[str, Any]]:
    return await Applicant.select(
        Applicant.handoff, Applicant.screening, *[getattr(Applicant.screening, c) .as_alias(c) for c in (
            "party_id", "name", "id_number", "phone", "claim_amount", "basis", "reason",
        )],
    ).where(Applicant.handoff.is_in(handoff_ids or [-1])).order_by(Applicant.id)


async def package_of(handoff_id: int) -> dict[str, Any]:
    row = await Package.select(Package.pdf, Package.sha256).where(Package.handoff == handoff_id).first()
    if row is None:
        raise NotFound()
    return row


# ---------------------------------------------------------------- the centre


async def for_centre(handoff_id: int, actor: Actor) -> tuple[dict[str, Any], dict[str, Any]]:
    """(handoff, case) for centre staff of the handoff's centre; 404 for anyone else, and for a
    case of a town where the plugin is off."""
    row = await handoff(handoff_id)
    if not is_centre_staff(actor, row):
        raise NotFound()
    case = await case_row(row["case_id"])
    if not await enabled_for_case(PLUGIN, case):
        raise NotFound()
    return row, case


async def centre_handoffs(actor: Actor, status: str | None = None) -> list[dict[str, Any]]:
    """The handoffs made to the actor's centre (towns where the plugin is off are left out)."""
    if STAFF_ROLE not in actor.roles or actor.org_id is None:
        raise Forbidden()
    where = Handoff.centre_id == actor.org_id
    if status:
        where &= Handoff.status == status
    rows = await Handoff.select().where(where).order_by(Handoff.id, ascending=False)
    cases = {c["id"]: c for c in await Case.select(Case.id, Case.number, Case.org_path, Case.dispute_type).where(
        Case.id.is_in([r["case_id"] for r in rows] or [-1])
    )}
    return [{**r, "case_number": cases[r["case_id"]]["number"]} for r in rows if r["case_id"] in cases and await enabled_for_case(PLUGIN, cases[r["case_id"]])]


async def _tell_case_side(case: dict[str, Any], kind: str, handoff_id: int, what: str) -> None:
    """The case's assignee (or, without one, the desk's supervisors) hears of the centre's step."""
    recipients = [case["assignee"]] if case.get("assignee") else []
    if not recipients:
        users = await StaffUser.select(StaffUser.id, StaffUser.roles).where(StaffUser.organisation == case["org"]).output(load_json=True)
        recipients = [u["id"] for u in users if "supervisor" in (u["roles"] or [])]
    for user_id in recipients:
        await notify(
            key=f"legal_aid:{what}:{handoff_id}", kind=kind, case=case, params={"number": case["number"]},
            user_id=user_id, link=f"/admin/cases/{case['id']}",
        )


async def _referred_by_us(case: dict[str, Any]) -> bool:
    if case["state"] != "referred":
        return False
    last = await CaseEvent.select(CaseEvent.payload).where((CaseEvent.case == case["id"]) & (CaseEvent.name == "refer")).order_by(
        CaseEvent.seq, ascending=False
    ).first()
    return bool(last) and (_loads(last["payload"]) or {}).get("plugin") == PLUGIN


async def _resume_if_ours(row: dict[str, Any], result: str) -> bool:
    """A declined or returned handoff gives the case back to mediation, when it paused it."""
    if not row["paused_case"]:
        return False
    case = await case_row(row["case_id"])
    others = await Handoff.exists().where(
        (Handoff.case_id == row["case_id"]) & (Handoff.id != row["id"]) & Handoff.status.is_in(list(ACTIVE))
        & (Handoff.paused_case == True)  # noqa: E712
    )
    if others or not await _referred_by_us(case):
        return False
    await transition(case["id"], "resume", plugin_actor(PLUGIN), {"result": result})
    return True


async def accept(handoff_id: int, actor: Actor) -> dict[str, Any]:
    row, case = await for_centre(handoff_id, actor)
    if row["status"] != Handoff.Status.pending:
        raise Conflict("The centre has already answered this handoff.")
    async with write_transaction():
        await Handoff.update({Handoff.status: Handoff.Status.accepted, Handoff.decided_by: actor.user_id, Handoff.decided_at: datetime.now(UTC)}).where(
            Handoff.id == handoff_id
        )
        await record_action(case["id"], "legal_aid.accepted", actor, {"handoff_id": handoff_id})
        await _tell_case_side(case, "legal_aid_accepted", handoff_id, "accepted")
    return await handoff(handoff_id)


async def decline(handoff_id: int, actor: Actor, reason: str) -> dict[str, Any]:
    row, case = await for_centre(handoff_id, actor)
    if row["status"] != Handoff.Status.pending:
        raise Conflict("The centre has already answered this handoff.")
    async with write_transaction():
        await Handoff.update({
            Handoff.status: Handoff.Status.declined, Handoff.decline_reason: reason, Handoff.decided_by: actor.user_id,
            Handoff.decided_at: datetime.now(UTC),
        }).where(Handoff.id == handoff_id)
        resumed = await _resume_if_ours(row, gettext("The legal-aid centre declined"))
        await record_action(case["id"], "legal_aid.declined", actor, {"handoff_id": handoff_id, "resumed": resumed})
        await _tell_case_side(await case_row(case["id"]), "legal_aid_declined", handoff_id, "declined")
    return await handoff(handoff_id)


async def assign_lawyer(handoff_id: int, actor: Actor, *, name: str, phone: str = "", firm: str = "") -> dict[str, Any]:
    row, case = await for_centre(handoff_id, actor)
    if row["status"] != Handoff.Status.accepted:
        raise Conflict("Accept the handoff first.")
    async with write_transaction():
        await Handoff.update({
            Handoff.lawyer_name: name, Handoff.lawyer_phone: phone, Handoff.lawyer_firm: firm, Handoff.lawyer_assigned_at: datetime.now(UTC),
        }).where(Handoff.id == handoff_id)
        await record_action(case["id"], "legal_aid.lawyer_assigned", actor, {"handoff_id": handoff_id})
    return await handoff(handoff_id)


async def report_route(handoff_id: int, actor: Actor, route: str) -> dict[str, Any]:
    row, case = await for_centre(handoff_id, actor)
    if row["status"] != Handoff.Status.accepted:
        raise Conflict("Accept the handoff first.")
    if route not in {r.value for r in Handoff.Route}:
        raise BadRequest("Unknown route.")
    if not row["lawyer_name"]:
        raise Conflict("Assign a lawyer first.")
    async with write_transaction():
        await Handoff.update({Handoff.route: route, Handoff.route_at: datetime.now(UTC)}).where(Handoff.id == handoff_id)
        await record_action(case["id"], "legal_aid.route", actor, {"handoff_id": handoff_id, "route": route})
    return await handoff(handoff_id)


async def report_outcome(handoff_id: int, actor: Actor, *, outcome: str, amount: Decimal | None = None, note: str = "") -> dict[str, Any]:
    row, case = await for_centre(handoff_id, actor)
    if row["status"] != Handoff.Status.accepted:
        raise Conflict("Accept the handoff first.")
    if outcome not in {o.value for o in Handoff.Outcome}:
        raise BadRequest("Unknown outcome.")
    if not row["route"]:
        raise Conflict("Report the route first.")
    async with write_transaction():
        await Handoff.update({
            Handoff.status: Handoff.Status.concluded, Handoff.outcome: outcome, Handoff.outcome_amount: amount,
            Handoff.outcome_note: note, Handoff.concluded_at: datetime.now(UTC),
        }).where(Handoff.id == handoff_id)
        payload: dict[str, Any] = {"handoff_id": handoff_id, "outcome": outcome, "route": row["route"]}
        if amount is not None:
            payload["amount"] = str(amount)
        await record_action(case["id"], "legal_aid.outcome", actor, payload)
        await _tell_case_side(case, "legal_aid_outcome", handoff_id, "outcome")
    return await handoff(handoff_id)


# ---------------------------------------------------------------- deadlines (the cron job)


async def check_deadlines(now: datetime | None = None) -> dict[str, int]:
    """Pending handoffs past their deadline are urged (an event on the timeline, the centre
    told); past the grace period after that, returned to mediation. Towns where the plugin is
    off are skipped. Idempotent: each step happens once per handoff."""
    now = now or datetime.now(UTC)
    grace = timedelta(days=plugin_settings(PLUGIN).grace_days)
    done = {"urged": 0, "returned": 0}
    rows = await Handoff.select().where((Handoff.status == Handoff.Status.pending) & (Handoff.due_at <= now)).order_by(Handoff.id)
    for row in rows:
        case = await case_row(row["case_id"])
        if not await enabled_for_case(PLUGIN, case):
            continue
        async with write_transaction():
            if row["urged_at"] is None:
                claimed = await Handoff.update({Handoff.urged_at: now}).where(
                    (Handoff.id == row["id"]) & Handoff.urged_at.is_null() & (Handoff.status == Handoff.Status.pending)
                ).returning(Handoff.id)
                if claimed:
                    row["urged_at"] = now
                    done["urged"] += 1
                    await record_action(case["id"], "legal_aid.urged", plugin_actor(PLUGIN), {"handoff_id": row["id"]})
                    for user_id in await centre_staff(row["centre_id"]):
                        await notify(
                            key=f"legal_aid:urge:{row['id']}", kind="legal_aid_urge", case=case, params={"number": case["number"]},
                            user_id=user_id, link=f"/admin/plugins/legal_aid/centre/handoffs/{row['id']}",
                        )
            if row["urged_at"] is not None and row["due_at"] + grace <= now:
                claimed = await Handoff.update({Handoff.status: Handoff.Status.returned, Handoff.returned_at: now}).where(
                    (Handoff.id == row["id"]) & (Handoff.status == Handoff.Status.pending)
                ).returning(Handoff.id)
                if claimed:
                    done["returned"] += 1
                    resumed = await _resume_if_ours(row, gettext("No answer from the legal-aid centre in time"))
                    await record_action(case["id"], "legal_aid.returned", plugin_actor(PLUGIN), {"handoff_id": row["id"], "resumed": resumed})
                    await _tell_case_side(await case_row(case["id"]), "legal_aid_returned", row["id"], "returned")
    return done


async def anonymise(case_id: int) -> int:
    """Retention: screenings lose the applicant's particulars and means-test answers, handoffs
    their notes and the lawyer's phone, the package its PDF (its SHA-256 stays)."""
    screenings = await Screening.select(Screening.id).where(Screening.case_id == case_id)
    handoffs = [h["id"] for h in await Handoff.select(Handoff.id).where(Handoff.case_id == case_id)]
    if screenings:
        await Screening.update({
            Screening.name: "", Screening.id_number: "", Screening.phone: "", Screening.answers: {}, Screening.reason: "",
        }).where(Screening.case_id == case_id)
    if handoffs:
        await Handoff.update({
            Handoff.note: "", Handoff.decline_reason: "", Handoff.outcome_note: "", Handoff.lawyer_phone: "",
        }).where(Handoff.id.is_in(handoffs))
        await Package.update({Package.pdf: b""}).where(Package.handoff.is_in(handoffs))
    return len(screenings) + len(handoffs)
