"""The counselling referral's rules, testable without HTTP.

Who is who:

* **the case side** — the case's assignee (mediator, handler) and the supervisors or
  administrators of the level responsible for it: they refer, grade, override the close veto
  (supervisors only) and see that counselling happens, never what is said in it;
* **the counselling side** — counsellors (role ``counsellor``) and the supervisor of the
  counselling station the referral went to: they hold sessions, grade, make follow-ups and end
  the referral, and they alone read the notes (``views.py`` decides what each side sees).

Every step writes a timeline event ``psych.<what>`` whose payload holds ids and codes only.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from core.auth.tables import StaffUser
from core.cases.tables import Case, CaseEvent, Party
from core.errors import BadRequest, Conflict, Forbidden, NotFound
from core.orgs.tables import Organisation
from core.plugins import (
    Actor,
    gettext,
    notify,
    plugin_actor,
    plugin_settings,
    record_action,
    transition,
    write_transaction,
)
from plugins.psych.tables import CounsellingSession, Counsellor, FollowUp, Grading, Referral

log = logging.getLogger("jiefen.plugins.psych")

PLUGIN = "psych"
WORKERS = frozenset({"mediator", "handler"})
LEADS = frozenset({"supervisor", "admin"})
POOL_KEEPERS = frozenset({"supervisor", "admin"})
# A party may be referred while the case is handled (and beside an outcome, before closing).
REFERABLE_STATES = frozenset({"assigned", "in_mediation", "referred", "agreed", "failed"})
OPEN = (Referral.Status.open, Referral.Status.beside)
GRADES = tuple(g.value for g in Referral.Grade)
SPECIALTIES = tuple(s.value for s in Counsellor.Specialty)


def _loads(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


# ---------------------------------------------------------------- who may do what


def is_case_side(case: dict[str, Any], actor: Actor) -> bool:
    """The case's assignee, or a supervisor or administrator of the level responsible for it."""
    if actor.is_system:
        return True
    if actor.kind != "staff":
        return False
    if actor.user_id is not None and case.get("assignee") == actor.user_id and actor.has_any(WORKERS):
        return True
    return actor.has_any(LEADS) and actor.covers(case.get("org_path"))


def is_counselling_side(actor: Actor, referral: dict[str, Any]) -> bool:
    """A counsellor of the referral's station, or that station's supervisor."""
    return (
        actor.kind == "staff" and actor.org_id == referral["station_id"]
        and bool(actor.roles & {"counsellor", "supervisor"})
    )


def may_read_notes(actor: Actor, referral: dict[str, Any]) -> bool:
    """Notes are for the counselling side only: never the case's staff, never an admin."""
    return is_counselling_side(actor, referral)


def may_refer(case: dict[str, Any], actor: Actor) -> bool:
    return case["state"] in REFERABLE_STATES and is_case_side(case, actor) and not actor.is_system


# ---------------------------------------------------------------- the pool


async def _station(station_id: int, actor: Actor) -> dict[str, Any]:
    station = await Organisation.select(Organisation.id, Organisation.path, Organisation.type_code, Organisation.name).where(
        Organisation.id == station_id
    ).first()
    if station is None or station["type_code"] != "counselling_station" or not (actor.is_system or actor.covers(station["path"])):
        raise NotFound("Unknown organisation.")
    return station


def _specialties(values: list[str]) -> list[str]:
    bad = [v for v in values if v not in SPECIALTIES]
    if bad:
        raise BadRequest("Unknown specialty: {value}.", value=", ".join(bad))
    return list(dict.fromkeys(values))


async def add_counsellor(
    actor: Actor, station_id: int, name: str, *, phone: str = "", specialties: list[str] | None = None,
    user_id: int | None = None, max_load: int = 8, available: bool = True,
) -> dict[str, Any]:
    """Add a counsellor to a station's pool (a supervisor or administrator over the station)."""
    station = await _station(station_id, actor)
    if not actor.has_any(POOL_KEEPERS):
        raise Forbidden()
    if user_id is not None:
        user = await StaffUser.select(StaffUser.organisation, StaffUser.roles).where(StaffUser.id == user_id).output(load_json=True).first()
        if user is None or user["organisation"] != station_id or "counsellor" not in (user["roles"] or []):
            raise BadRequest("The account must be a counsellor of this station.")
        if await Counsellor.exists().where((Counsellor.user_id == user_id) & (Counsellor.active == True)):  # noqa: E712
            raise Conflict("This account is already in the pool.")
    rows = await Counsellor.insert(
        Counsellor(
            user_id=user_id, station_id=station_id, station_path=station["path"], name=name, phone=phone,
            specialties=_specialties(specialties or []), max_load=max_load, available=available,
        )
    ).returning(Counsellor.id)
    return await counsellor(rows[0]["id"])


async def update_counsellor(actor: Actor, counsellor_id: int, changes: dict[str, Any]) -> dict[str, Any]:
    """A keeper of the station changes anything; a counsellor only their own availability."""
    row = await Counsellor.select().where(Counsellor.id == counsellor_id).first()
    if row is None:
        raise NotFound()
    own = actor.user_id is not None and row["user_id"] == actor.user_id
    keeper = actor.has_any(POOL_KEEPERS) and (actor.is_system or actor.covers(row["station_path"]))
    if not (keeper or (own and set(changes) <= {"available"})):
        raise Forbidden() if own else NotFound()
    values: dict[Any, Any] = {}
    for key in ("available", "max_load", "active", "phone", "name"):
        if key in changes and changes[key] is not None:
            values[getattr(Counsellor, key)] = changes[key]
    if changes.get("specialties") is not None:
        values[Counsellor.specialties] = _specialties(changes["specialties"])
    if values:
        await Counsellor.update(values).where(Counsellor.id == counsellor_id)
    return await counsellor(counsellor_id)


async def loads(counsellor_ids: list[int] | None = None) -> dict[int, int]:
    """Open referrals per counsellor."""
    where = Referral.status.is_in(list(OPEN))
    if counsellor_ids is not None:
        where &= Referral.counsellor.is_in(counsellor_ids or [-1])
    rows = await Referral.select(Referral.counsellor, Referral.id).where(where)
    found: dict[int, int] = {}
    for row in rows:
        found[row["counsellor"]] = found.get(row["counsellor"], 0) + 1
    return found


async def counsellor(counsellor_id: int) -> dict[str, Any]:
    row = await Counsellor.select().where(Counsellor.id == counsellor_id).output(load_json=True).first()
    if row is None:
        raise NotFound()
    row["load"] = (await loads([counsellor_id])).get(counsellor_id, 0)
    return row


async def list_counsellors(actor: Actor, station_id: int | None = None) -> list[dict[str, Any]]:
    """The pool in the actor's subtree (a station's own staff see their station's)."""
    where = Counsellor.active == True  # noqa: E712
    if not actor.is_system:
        where &= Counsellor.station_path.like(actor.org_path + "%")
    if station_id is not None:
        where &= Counsellor.station_id == station_id
    rows = await Counsellor.select().where(where).order_by(Counsellor.id).output(load_json=True)
    counts = await loads([r["id"] for r in rows])
    return [{**r, "load": counts.get(r["id"], 0)} for r in rows]


def _county_path(path: str) -> str:
    first = (path or "").strip("/").split("/")[0]
    return f"/{first}/" if first else "/"


async def candidates(case: dict[str, Any], grade: str = "green", party: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Counsellors who may take a referral from this case, best first: the county's stations,
    active, available and under their load; crisis specialists first for red, then the
    specialty the dispute or the party calls for, then the lightest load."""
    rows = await Counsellor.select().where(
        (Counsellor.active == True) & (Counsellor.available == True)  # noqa: E712
        & Counsellor.station_path.like(_county_path(case.get("org_path") or "") + "%")
    ).output(load_json=True)
    counts = await loads([r["id"] for r in rows])
    wanted = set()
    if grade == Referral.Grade.red:
        wanted.add(Counsellor.Specialty.crisis.value)
    if case.get("dispute_type") in ("marriage_family",):
        wanted.add(Counsellor.Specialty.marriage_family.value)
    if case.get("dispute_type") == "minors" or (party and party.get("birth_year") and datetime.now(UTC).year - party["birth_year"] < 18):
        wanted.add(Counsellor.Specialty.youth.value)
    found = []
    for row in rows:
        load = counts.get(row["id"], 0)
        if load >= row["max_load"]:
            continue
        specialties = set(row["specialties"] or [])
        crisis_first = 0 if grade != Referral.Grade.red or "crisis" in specialties else 1
        found.append({**row, "load": load, "_key": (crisis_first, -len(wanted & specialties), load / max(row["max_load"], 1), row["id"])})
    found.sort(key=lambda r: r["_key"])
    return [{k: v for k, v in r.items() if k != "_key"} for r in found]


# ---------------------------------------------------------------- referrals


async def referral(referral_id: int) -> dict[str, Any]:
    row = await Referral.select().where(Referral.id == referral_id).first()
    if row is None:
        raise NotFound()
    return row


async def case_row(case_id: int) -> dict[str, Any]:
    case = await Case.select().where(Case.id == case_id).first()
    if case is None:
        raise NotFound()
    return case


async def referrals_of_case(case_id: int) -> list[dict[str, Any]]:
    return await Referral.select().where(Referral.case_id == case_id).order_by(Referral.id)


def follow_up_interval(grade: str) -> timedelta | None:
    settings = plugin_settings(PLUGIN)
    if grade == Referral.Grade.red:
        return timedelta(days=settings.red_follow_up_days)
    if grade == Referral.Grade.yellow:
        return timedelta(days=settings.yellow_follow_up_days)
    return None


def _next_follow_up(grade: str, now: datetime) -> datetime | None:
    interval = follow_up_interval(grade)
    return now + interval if interval else None


async def refer(
    case: dict[str, Any], actor: Actor, *, party_id: int, consent: bool, grade: str, reason: str,
    consent_method: str = "written", consent_note: str = "", counsellor_id: int | None = None, pause: bool = True,
) -> dict[str, Any]:
    """Refer a party of ``case`` to a counsellor, with the party's recorded consent.

    With ``pause`` (and the case in mediation) the case waits in ``referred`` until the
    counselling returns the party; otherwise the referral runs beside the case."""
    if not may_refer(case, actor):
        raise Forbidden() if case["state"] in REFERABLE_STATES else Conflict("A party can be referred only while the case is being handled.")
    if not consent:
        raise BadRequest("The party's consent to the referral is required.")
    if grade not in GRADES:
        raise BadRequest("Unknown grade.")
    if consent_method not in {c.value for c in Referral.Consent}:
        raise BadRequest("Unknown way of consent.")
    party = await Party.select(Party.id, Party.case, Party.birth_year).where(Party.id == party_id).first()
    if party is None or party["case"] != case["id"]:
        raise NotFound("Unknown party.")
    if await Referral.exists().where((Referral.party_id == party_id) & Referral.status.is_in(list(OPEN))):
        raise Conflict("This party already has an open referral.")
    pool = await candidates(case, grade, party)
    if counsellor_id is not None:
        pool = [c for c in pool if c["id"] == counsellor_id]
    if not pool:
        raise Conflict("No counsellor is available; add one to the pool or mark one available.")
    chosen = pool[0]
    now = datetime.now(UTC)
    pause = pause and case["state"] == "in_mediation"
    async with write_transaction():
        rows = await Referral.insert(
            Referral(
                case_id=case["id"], party_id=party_id, counsellor=chosen["id"], station_id=chosen["station_id"],
                status=Referral.Status.open, paused_case=pause, grade=grade, graded_at=now, reason=reason,
                consent_method=consent_method, consent_note=consent_note, consent_at=now, referred_by=actor.user_id,
                next_follow_up_at=_next_follow_up(grade, now), created_at=now,
            )
        ).returning(Referral.id)
        referral_id = rows[0]["id"]
        graded = await Grading.insert(
            Grading(referral=referral_id, grade=grade, reason=reason, side=Grading.Side.case, by_user=actor.user_id, at=now)
        ).returning(Grading.id)
        await record_action(case["id"], "psych.referred", actor, {"referral_id": referral_id, "grade": grade, "paused": pause})
        if pause:
            await transition(case["id"], "refer", plugin_actor(PLUGIN), {"plugin": PLUGIN, "reason": gettext("Psychological counselling referral")})
        fresh = await case_row(case["id"])
        if chosen["user_id"]:
            await notify(
                key=f"psych:referral:{referral_id}", kind="psych_referral", case=fresh, params={"number": fresh["number"]},
                user_id=chosen["user_id"], link=f"/admin/plugins/psych/referrals/{referral_id}",
            )
        if grade == Referral.Grade.red:
            await crisis_alert(fresh, await referral(referral_id), graded[0]["id"])
    return await referral(referral_id)


async def town_supervisors(case: dict[str, Any]) -> list[int]:
    """Active supervisors of the town responsible for the case (its org if above a town)."""
    ids = [int(p) for p in (case.get("org_path") or "").strip("/").split("/") if p]
    nodes = await Organisation.select(Organisation.id, Organisation.level).where(Organisation.id.is_in(ids or [-1]))
    towns = [n["id"] for n in nodes if n["level"] == "town"]
    org_id = towns[0] if towns else case["org"]
    users = await StaffUser.select(StaffUser.id, StaffUser.roles).where(
        (StaffUser.organisation == org_id) & (StaffUser.active == True)  # noqa: E712
    ).output(load_json=True)
    return [u["id"] for u in users if "supervisor" in (u["roles"] or [])]


async def crisis_alert(case: dict[str, Any], ref: dict[str, Any], grading_id: int) -> int:
    """Red: tell the town's supervisors and the assigned counsellor at once (inbox and every
    staff channel), in the grading's transaction. Idempotent per grading and person."""
    counsellor_row = await Counsellor.select(Counsellor.user_id).where(Counsellor.id == ref["counsellor"]).first()
    recipients = await town_supervisors(case)
    if counsellor_row and counsellor_row["user_id"] and counsellor_row["user_id"] not in recipients:
        recipients.append(counsellor_row["user_id"])
    told = 0
    for user_id in recipients:
        is_counsellor = counsellor_row is not None and user_id == counsellor_row["user_id"]
        link = f"/admin/plugins/psych/referrals/{ref['id']}" if is_counsellor else f"/admin/cases/{case['id']}"
        sent = await notify(
            key=f"psych:crisis:{grading_id}", kind="psych_crisis", case=case, params={"number": case["number"]},
            user_id=user_id, link=link, data={"referral_id": ref["id"]},
        )
        told += sent is not None
    await record_action(case["id"], "psych.crisis_alert", plugin_actor(PLUGIN), {"referral_id": ref["id"], "recipients": len(recipients)})
    return told


async def _side(ref: dict[str, Any], actor: Actor) -> tuple[str, dict[str, Any]]:
    """("counselling" | "case", the case row) for an actor who may act on the referral."""
    case = await case_row(ref["case_id"])
    if is_counselling_side(actor, ref):
        return Grading.Side.counselling, case
    from core.cases.access import can_see

    if can_see(actor, case) and is_case_side(case, actor):
        return Grading.Side.case, case
    raise NotFound()


async def regrade(referral_id: int, actor: Actor, grade: str, reason: str) -> dict[str, Any]:
    """A new grade with its reason; red raises the crisis alert, yellow and red (re)start the
    follow-up schedule, green stops it."""
    ref = await referral(referral_id)
    side, case = await _side(ref, actor)
    if grade not in GRADES:
        raise BadRequest("Unknown grade.")
    if ref["status"] == Referral.Status.ended:
        raise Conflict("The referral has ended.")
    now = datetime.now(UTC)
    async with write_transaction():
        graded = await Grading.insert(
            Grading(referral=referral_id, grade=grade, reason=reason, side=side, by_user=actor.user_id, at=now)
        ).returning(Grading.id)
        await Referral.update(
            {Referral.grade: grade, Referral.graded_at: now, Referral.next_follow_up_at: _next_follow_up(grade, now)}
        ).where(Referral.id == referral_id)
        await record_action(case["id"], "psych.graded", actor, {"referral_id": referral_id, "grade": grade})
        if grade == Referral.Grade.red and ref["grade"] != Referral.Grade.red:
            await crisis_alert(await case_row(case["id"]), ref, graded[0]["id"])
    return await referral(referral_id)


async def _acting_counsellor(ref: dict[str, Any], actor: Actor) -> int:
    """The pool entry of a counsellor of the referral's station acting now."""
    if not (is_counselling_side(actor, ref) and "counsellor" in actor.roles):
        raise Forbidden("Only a counsellor of the station may do this.")
    row = await Counsellor.select(Counsellor.id).where(
        (Counsellor.user_id == actor.user_id) & (Counsellor.station_id == ref["station_id"])
    ).first()
    return row["id"] if row else ref["counsellor"]


async def record_session(
    referral_id: int, actor: Actor, *, held_at: datetime, mode: str = "in_person", minutes: int = 50, notes: str = "",
) -> dict[str, Any]:
    """A counselling session held. The notes stay with the counselling side; the timeline says
    only that a session took place."""
    ref = await referral(referral_id)
    if not is_counselling_side(actor, ref):
        raise NotFound()
    counsellor_id = await _acting_counsellor(ref, actor)
    if ref["status"] == Referral.Status.ended:
        raise Conflict("The referral has ended.")
    if mode not in {m.value for m in CounsellingSession.Mode}:
        raise BadRequest("Unknown session mode.")
    async with write_transaction():
        rows = await CounsellingSession.insert(
            CounsellingSession(
                referral=referral_id, counsellor=counsellor_id, held_at=held_at, mode=mode, minutes=minutes,
                notes=notes, created_by=actor.user_id,
            )
        ).returning(CounsellingSession.id)
        await record_action(ref["case_id"], "psych.session", actor, {"referral_id": referral_id, "session_id": rows[0]["id"]})
    return {"id": rows[0]["id"], "referral_id": referral_id, "held_at": held_at, "mode": mode, "minutes": minutes}


async def complete_follow_up(follow_up_id: int, actor: Actor, notes: str = "") -> dict[str, Any]:
    row = await FollowUp.select().where(FollowUp.id == follow_up_id).first()
    if row is None:
        raise NotFound()
    ref = await referral(row["referral"])
    if not is_counselling_side(actor, ref):
        raise NotFound()
    if row["status"] == FollowUp.Status.done:
        raise Conflict("This follow-up is already done.")
    now = datetime.now(UTC)
    async with write_transaction():
        await FollowUp.update({FollowUp.status: FollowUp.Status.done, FollowUp.notes: notes, FollowUp.done_at: now, FollowUp.done_by: actor.user_id}).where(
            FollowUp.id == follow_up_id
        )
        await record_action(ref["case_id"], "psych.follow_up", actor, {"referral_id": ref["id"], "follow_up_id": follow_up_id})
    return {"id": follow_up_id, "status": FollowUp.Status.done, "done_at": now}


async def _referred_by_us(case: dict[str, Any]) -> bool:
    """The case waits in ``referred`` because of this plugin (its last refer named us)."""
    if case["state"] != "referred":
        return False
    last = await CaseEvent.select(CaseEvent.payload).where((CaseEvent.case == case["id"]) & (CaseEvent.name == "refer")).order_by(
        CaseEvent.seq, ascending=False
    ).first()
    return bool(last) and (_loads(last["payload"]) or {}).get("plugin") == PLUGIN


async def _resume_if_ours(ref: dict[str, Any], result_label: str) -> bool:
    """Resume the case when this referral paused it and no other referral of ours still does."""
    if not ref["paused_case"]:
        return False
    others = await Referral.exists().where(
        (Referral.case_id == ref["case_id"]) & (Referral.id != ref["id"]) & (Referral.status == Referral.Status.open)
        & (Referral.paused_case == True)  # noqa: E712
    )
    case = await case_row(ref["case_id"])
    if others or not await _referred_by_us(case):
        return False
    await transition(case["id"], "resume", plugin_actor(PLUGIN), {"result": result_label})
    return True


async def end(referral_id: int, actor: Actor, *, result: str | None = None, note: str = "", keep_open: bool = False) -> dict[str, Any]:
    """End the referral with a result, or (``keep_open``) send the party back to mediation while
    the counselling goes on beside the case. Either way a case this referral paused resumes."""
    ref = await referral(referral_id)
    if not is_counselling_side(actor, ref):
        raise NotFound()
    if ref["status"] == Referral.Status.ended:
        raise Conflict("The referral has ended.")
    now = datetime.now(UTC)
    async with write_transaction():
        if keep_open:
            await Referral.update({Referral.status: Referral.Status.beside, Referral.paused_case: False}).where(Referral.id == referral_id)
            resumed = await _resume_if_ours(ref, gettext("Counselling continues beside the mediation"))
            await record_action(ref["case_id"], "psych.returned", actor, {"referral_id": referral_id, "resumed": resumed})
        else:
            if result not in {r.value for r in Referral.Result}:
                raise BadRequest("A referral ends with a result.")
            await Referral.update(
                {
                    Referral.status: Referral.Status.ended, Referral.result: result, Referral.result_note: note,
                    Referral.ended_at: now, Referral.ended_by: actor.user_id, Referral.next_follow_up_at: None,
                    Referral.paused_case: False,
                }
            ).where(Referral.id == referral_id)
            resumed = await _resume_if_ours(ref, gettext("Counselling ended"))
            await record_action(ref["case_id"], "psych.ended", actor, {"referral_id": referral_id, "result": result, "resumed": resumed})
    return await referral(referral_id)


async def override_close(referral_id: int, actor: Actor, reason: str) -> dict[str, Any]:
    """A supervisor of the case's level lets the case close although this red referral is open."""
    ref = await referral(referral_id)
    case = await case_row(ref["case_id"])
    from core.cases.access import can_see

    if not can_see(actor, case):
        raise NotFound()
    if not ("supervisor" in actor.roles and actor.covers(case["org_path"])):
        raise Forbidden("Only a supervisor of the case's level may override.")
    if ref["status"] == Referral.Status.ended or ref["grade"] != Referral.Grade.red:
        raise Conflict("Only an open red referral needs an override.")
    now = datetime.now(UTC)
    async with write_transaction():
        await Referral.update(
            {Referral.override_reason: reason, Referral.override_by: actor.user_id, Referral.override_at: now}
        ).where(Referral.id == referral_id)
        await record_action(case["id"], "psych.close_override", actor, {"referral_id": referral_id})
    return await referral(referral_id)


async def blocking_red(case_id: int) -> list[dict[str, Any]]:
    """Open red referrals of the case that no supervisor has overridden since their grading."""
    rows = await Referral.select().where(
        (Referral.case_id == case_id) & Referral.status.is_in(list(OPEN)) & (Referral.grade == Referral.Grade.red)
    )
    return [r for r in rows if not (r["override_at"] and r["override_at"] >= r["graded_at"])]


async def close_veto(case: dict[str, Any], actor: Actor | None) -> str | None:
    if await blocking_red(case["id"]):
        locale = getattr(actor, "locale", None)
        return gettext(
            "a red (crisis) counselling referral is still open; a supervisor must record a reason to override before the case is closed",
            locale,
        )
    return None


# ---------------------------------------------------------------- follow-ups (the cron job)


async def make_follow_ups_due(now: datetime | None = None) -> int:
    """For yellow and red referrals whose next follow-up has come: a due follow-up, the
    counsellor told, the schedule moved on. Towns where the plugin is off are skipped (their
    schedule waits). Idempotent: a follow-up is unique per referral and time."""
    from core.plugins import enabled_for_case

    now = now or datetime.now(UTC)
    rows = await Referral.select().where(
        Referral.status.is_in(list(OPEN)) & Referral.next_follow_up_at.is_not_null() & (Referral.next_follow_up_at <= now)
    ).order_by(Referral.id)
    made = 0
    for ref in rows:
        case = await Case.select(Case.id, Case.number, Case.org_path).where(Case.id == ref["case_id"]).first()
        if case is None or not await enabled_for_case(PLUGIN, case):
            continue
        interval = follow_up_interval(ref["grade"])
        due_at = ref["next_follow_up_at"]
        async with write_transaction():
            inserted = await FollowUp.insert(FollowUp(referral=ref["id"], due_at=due_at, status=FollowUp.Status.due)).on_conflict(
                action="DO NOTHING"
            ).returning(FollowUp.id)
            following = None
            if interval:
                # Keep the cadence; after a long stop, start again from now.
                following = due_at + interval if due_at + interval > now else now + interval
            await Referral.update({Referral.next_follow_up_at: following}).where(Referral.id == ref["id"])
            if not inserted:
                continue
            made += 1
            counsellor_row = await Counsellor.select(Counsellor.user_id).where(Counsellor.id == ref["counsellor"]).first()
            if counsellor_row and counsellor_row["user_id"]:
                await notify(
                    key=f"psych:follow_up:{inserted[0]['id']}", kind="psych_follow_up_due", case=case,
                    params={"number": case["number"]}, user_id=counsellor_row["user_id"],
                    link=f"/admin/plugins/psych/referrals/{ref['id']}",
                )
    return made


async def due_follow_ups(referral_ids: list[int]) -> list[dict[str, Any]]:
    return await FollowUp.select().where(FollowUp.referral.is_in(referral_ids or [-1])).order_by(FollowUp.due_at)


async def sessions_of(referral_ids: list[int]) -> list[dict[str, Any]]:
    return await CounsellingSession.select().where(CounsellingSession.referral.is_in(referral_ids or [-1])).order_by(
        CounsellingSession.held_at
    )


async def gradings_of(referral_ids: list[int]) -> list[dict[str, Any]]:
    return await Grading.select().where(Grading.referral.is_in(referral_ids or [-1])).order_by(Grading.id)


async def anonymise(case_id: int) -> int:
    """Retention: the case's referrals keep their grades, dates and results; the notes, reasons
    and consent remarks (the most private text in the system) go."""
    referrals = Referral.select(Referral.id).where(Referral.case_id == case_id)
    ids = [r["id"] for r in await referrals]
    if not ids:
        return 0
    await Referral.update({
        Referral.reason: "", Referral.consent_note: "", Referral.result_note: "", Referral.override_reason: "",
    }).where(Referral.id.is_in(ids))
    await Grading.update({Grading.reason: ""}).where(Grading.referral.is_in(ids))
    await CounsellingSession.update({CounsellingSession.notes: ""}).where(CounsellingSession.referral.is_in(ids))
    await FollowUp.update({FollowUp.notes: ""}).where(FollowUp.referral.is_in(ids))
    return len(ids)
