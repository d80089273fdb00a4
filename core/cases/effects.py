"""What each action does besides changing the state: rows it writes, columns it sets.

Registered on the lifecycle by event name; none of these may set ``state`` (the table does).
"""

from __future__ import annotations

from typing import Any

# Registers the written agreement's actions (draft, finalise) and the document jobs.
from core.agreements.effects import agree_written, mark_effective, queue_document
from core.auth.tables import StaffUser
from core.cases import schemas as s
from core.cases.lifecycle import Change, effect, guard
from core.cases.tables import (
    Agreement,
    Case,
    CaseEvent,
    CaseLink,
    CaseUnit,
    FollowUp,
    MediationSession,
    Party,
)
from core.errors import Conflict, NotFound, ValidationFailed
from core.i18n import label
from core.orgs.tables import Organisation
from core.roster.tables import DisputeType, Mediator
from core.settings import get_settings


@effect("accept")
async def _accept(change: Change) -> None:
    data: s.AcceptData = change.data
    if not (data.rights_notified and data.consent):
        raise ValidationFailed("Record that the parties were told their rights and consented to mediation.")
    change.updates.update(rights_notified_at=change.now, consent_at=change.now, registered_at=change.now)
    if data.risk_level:
        change.updates["risk_level"] = data.risk_level
    if data.dispute_type:
        await ensure_dispute_type(data.dispute_type, change.case["org_path"])
        change.updates["dispute_type"] = data.dispute_type
        # A family, medical or minors' case narrows who may see the parties' details (and a
        # type corrected away from one widens it again).
        dtype = await DisputeType.select(DisputeType.sensitive).where(DisputeType.code == data.dispute_type).first()
        minors = await Party.exists().where((Party.case == change.case["id"]) & (Party.is_minor == True))  # noqa: E712
        change.updates["sensitive"] = bool(dtype and dtype["sensitive"]) or minors
    change.payload.update(rights_notified=True, consent=True, risk_level=data.risk_level, dispute_type=data.dispute_type)
    if change.case["number"] == change.case["application_ref"]:
        # Registration gives the official number (受理编号), so only registered cases take one and
        # public intake never waits on the counter. Cases from before this rule keep theirs.
        from core.cases.service import next_number

        number = await next_number({**change.case, **change.updates}, change.now)
        change.updates["number"] = number
        change.payload["number"] = number
    change.outbox.append(queue_document("receipt", change.case["id"], change.case["id"]))


@effect("reject")
@effect("return")
@effect("withdraw")
@effect("reopen")
async def _reason(change: Change) -> None:
    change.payload["reason"] = change.data.reason
    if change.transition.event == "return":
        change.payload["returned_by"] = change.actor.user_id
        change.updates.update(assignee=None, in_pool=False)
    if change.transition.event == "withdraw":
        change.updates["outcome"] = "withdrawn"


@guard("reopen")
async def _reopen_needs_failed_follow_up(change: Change) -> None:
    last = await FollowUp.select(FollowUp.performed).where(FollowUp.case == change.case["id"]).order_by(FollowUp.id, ascending=False).first()
    if last and last["performed"] is False:
        return
    # A plugin may know another ground (hook reopen_ground: a court refused to confirm it).
    from core.plugins.host import reopen_ground

    ground = await reopen_ground(change.case)
    if ground is None:
        raise Conflict("Reopen only when a follow-up found the agreement not performed.")
    change.payload.update(ground=ground[1], ground_plugin=ground[0])


@effect("uphold")
async def _uphold(change: Change) -> None:
    from core.cases.lifecycle import TABLE

    # Only a return can be upheld: the event that last brought the case back to the desk must be
    # one (not an escalation or a declared conflict after it, which an uphold would undo).
    to_desk = [t.event for t in TABLE if t.target == "registered"]
    last_return = await (
        CaseEvent.select(CaseEvent.name, CaseEvent.payload).where((CaseEvent.case == change.case["id"]) & CaseEvent.name.is_in(to_desk))
        .order_by(CaseEvent.seq, ascending=False).first()
    )
    if last_return is None or last_return["name"] != "return":
        raise Conflict("Cannot {event} a case that is {state}.", event=label("event", "uphold", change.actor.locale), state=label("state", change.case["state"], change.actor.locale))
    payload = last_return["payload"]
    if isinstance(payload, str):
        import json

        payload = json.loads(payload)
    change.updates["assignee"] = payload.get("returned_by")
    change.payload.update(reason=change.data.reason, assignee_id=payload.get("returned_by"))


@effect("dispatch")
@effect("redispatch")
async def _dispatch(change: Change) -> None:
    from core.cases.dispatch import resolve_dispatch

    target = await resolve_dispatch(change.case, change.data, change.actor)
    change.updates.update(
        assignee=target["assignee_id"], assigned_org=target["organisation_id"],
        assigned_org_path=target["organisation_path"], in_pool=target["to_pool"],
    )
    change.payload.update({k: v for k, v in target.items() if k != "organisation_path"})

    async def set_lead_unit(case: dict[str, Any]) -> None:
        await CaseUnit.update({CaseUnit.active: False}).where((CaseUnit.case == case["id"]) & (CaseUnit.role == "lead"))
        await CaseUnit.insert(CaseUnit(case=case["id"], organisation=target["organisation_id"], organisation_path=target["organisation_path"], role="lead"))

    change.afterwards.append(set_lead_unit)


@effect("take")
async def _take(change: Change) -> None:
    if change.case["assignee"] is None and change.actor.user_id is not None:
        # Taking from a pool assigns a mediator as surely as a dispatch does: the same recusal
        # check (a mediator who declared a conflict must not grab the case back from the pool).
        from core.cases.dispatch import recusal_grounds
        from core.i18n import LazyList

        mediator = await Mediator.select().where(Mediator.user == change.actor.user_id).first()
        blocked = await recusal_grounds(change.case["id"], mediator) if mediator else []
        if blocked:
            raise Conflict("The mediator must withdraw: {reason}", reason=LazyList(blocked))
        change.updates["assignee"] = change.actor.user_id
        change.payload["grabbed_from_pool"] = True
    change.updates["in_pool"] = False


@effect("declare_conflict")
async def _declare_conflict(change: Change) -> None:
    from core.roster.tables import MediatorRelation

    mediator = await Mediator.select(Mediator.id).where(Mediator.user == change.actor.user_id).first()
    if mediator:
        await MediatorRelation.insert(
            MediatorRelation(mediator=mediator["id"], case_id=change.case["id"], relation="conflict", reason=change.data.reason)
        )
    change.updates.update(assignee=None, in_pool=False)
    change.payload["reason"] = change.data.reason


@guard("escalate")
async def _escalate_guard(change: Change) -> None:
    org = await Organisation.select().where(Organisation.id == change.case["org"]).first()
    if not org or not org["parent"]:
        raise Conflict("This organisation has no parent to escalate to.")
    minimum = get_settings().escalation_min_attempts.get(org["level"], 0)
    held = change.case["attempts_at_level"]
    if change.case["risk_level"] != "high" and held < minimum:
        raise Conflict(
            "The {level} level must hold at least {minimum} sessions before escalating (held {held}).",
            level=label("level", org["level"], change.actor.locale), minimum=minimum, held=held,
        )


@effect("escalate")
async def _escalate(change: Change) -> None:
    org = await Organisation.select().where(Organisation.id == change.case["org"]).first()
    parent = await Organisation.select().where(Organisation.id == org["parent"]).first()
    change.updates.update(
        org=parent["id"], org_path=parent["path"], assignee=None, assigned_org=None,
        assigned_org_path="", in_pool=False, attempts_at_level=0,
    )
    change.payload.update(
        reason=change.data.reason, from_org_id=org["id"], to_org_id=parent["id"],
        skipped_minimum=change.case["risk_level"] == "high",
    )


@effect("refer")
async def _refer(change: Change) -> None:
    change.payload.update(plugin=change.data.plugin, reason=change.data.reason)


@effect("resume")
async def _resume(change: Change) -> None:
    change.payload["result"] = change.data.result


@effect("agree")
async def _agree(change: Change) -> None:
    data: s.AgreeData = change.data
    if data.agreement_id is not None:
        if data.terms or data.facts or data.matters:
            raise ValidationFailed("Give either the written agreement or the terms of an oral one, not both.")
        await agree_written(change)
        return
    if not (data.facts.strip() and data.matters.strip() and data.terms):
        raise ValidationFailed("An oral agreement needs the facts, the matters in dispute and at least one term.")
    import msgspec

    terms = msgspec.to_builtins(data.terms)
    previous = await Agreement.count().where(Agreement.case == change.case["id"])
    inserted = await Agreement.insert(
        Agreement(
            case=change.case["id"], revision=previous + 1, facts=data.facts, matters=data.matters,
            responsibilities=data.responsibilities, terms=terms, performance=data.performance,
            created_by=change.actor.user_id,
        )
    ).returning(Agreement.id)
    # Art. 28: an oral agreement the mediator records is in force from now.
    await mark_effective(change.case["id"], inserted[0]["id"], change.now)
    change.updates["outcome"] = "agreed"
    change.payload.update(agreement_id=inserted[0]["id"], terms_count=len(terms), form="oral")


@effect("fail")
async def _fail(change: Change) -> None:
    change.updates.update(outcome="failed", failure_advice=f"{change.data.advice}:{change.data.detail}")
    change.payload.update(advice=change.data.advice)
    change.outbox.append(queue_document("failure_notice", change.case["id"], change.case["id"]))


@guard("close")
async def _close_guard(change: Change) -> None:
    if change.case["state"] != "agreed":
        return
    last = await FollowUp.select(FollowUp.performed).where(FollowUp.case == change.case["id"]).order_by(FollowUp.id, ascending=False).first()
    if not last or last["performed"] is not True:
        raise Conflict("Close an agreed case only after a follow-up confirms it was performed.")


@effect("close")
async def _close(change: Change) -> None:
    change.updates["closed_at"] = change.now


@effect("merge")
async def _merge(change: Change) -> None:
    from core.cases.access import ensure_can_see
    from core.cases.lifecycle import FINAL

    into = change.data.into_case_id
    if into == change.case["id"]:
        raise ValidationFailed("The case cannot be merged into itself.")
    # PostgreSQL: lock both rows in id order first, so A→B and B→A at once cannot deadlock,
    # and read the survivor only under its lock (it may have just been merged itself).
    from core.db import is_sqlite

    if not is_sqlite():
        low, high = sorted((change.case["id"], into))
        await Case.raw("SELECT id FROM dispute_case WHERE id IN ({}, {}) ORDER BY id FOR UPDATE", low, high)
    survivor = await Case.select().where(Case.id == into).first()
    if survivor is None:
        raise NotFound()
    ensure_can_see(change.actor, survivor)
    if survivor["state"] in FINAL:
        raise Conflict("The surviving case is closed.")
    change.updates.update(merged_into=into, closed_at=change.now, outcome="merged")
    change.payload["into_case_id"] = into

    async def note_on_survivor(case: dict[str, Any]) -> None:
        from core.cases.service import record_action

        await record_action(into, "merged_from", change.actor, {"case_id": case["id"], "number": case["number"]})
        # The parties of the merged case now also appear on the survivor.
        parties = await Party.select().where(Party.case == case["id"])
        for p in parties:
            p.pop("id")
            p["case"] = into
            await Party.insert(Party(**p))

    change.afterwards.append(note_on_survivor)


@effect("first_contact")
async def _first_contact(change: Change) -> None:
    if change.case["first_contact_at"] is None:
        change.updates["first_contact_at"] = change.now
    change.payload.update(method=change.data.method, result=change.data.result)


@effect("schedule_session")
async def _schedule(change: Change) -> None:
    data: s.ScheduleSessionData = change.data
    org = await Organisation.select(Organisation.level).where(Organisation.id == change.case["org"]).first()
    inserted = await MediationSession.insert(
        MediationSession(
            case=change.case["id"], scheduled_at=data.scheduled_at, place=data.place, mode=data.mode,
            attendees=list(data.attendees), level=org["level"] if org else "", organisation=change.case["org"],
            created_by=change.actor.user_id,
        )
    ).returning(MediationSession.id)
    change.payload.update(session_id=inserted[0]["id"], scheduled_at=data.scheduled_at, mode=data.mode)
    change.outbox.append(("notify_session", {"session_id": inserted[0]["id"]}, f"session:{inserted[0]['id']}:scheduled"))


async def _session(change: Change, session_id: int) -> dict[str, Any]:
    session = await MediationSession.select().where(
        (MediationSession.id == session_id) & (MediationSession.case == change.case["id"])
    ).first()
    if session is None:
        raise NotFound("No such session on this case.")
    if session["status"] != "scheduled":
        raise Conflict("The session is not scheduled.")
    return session


@effect("record_session")
async def _record(change: Change) -> None:
    data: s.RecordSessionData = change.data
    session = await _session(change, data.session_id)
    values: dict[Any, Any] = {MediationSession.status: "held", MediationSession.record: data.record, MediationSession.held_at: change.now}
    if data.attendees is not None:
        values[MediationSession.attendees] = list(data.attendees)
    await MediationSession.update(values).where(MediationSession.id == session["id"])
    change.updates["attempts_at_level"] = change.case["attempts_at_level"] + 1
    if change.case["first_contact_at"] is None:
        change.updates["first_contact_at"] = change.now
    change.payload.update(session_id=session["id"], attempt=change.case["attempts_at_level"] + 1)
    change.outbox.append(queue_document("record", change.case["id"], session["id"]))


@effect("cancel_session")
async def _cancel(change: Change) -> None:
    session = await _session(change, change.data.session_id)
    await MediationSession.update({MediationSession.status: "cancelled"}).where(MediationSession.id == session["id"])
    change.payload.update(session_id=session["id"], reason=change.data.reason)


@effect("follow_up")
async def _follow_up(change: Change) -> None:
    data: s.FollowUpData = change.data
    inserted = await FollowUp.insert(
        FollowUp(
            case=change.case["id"], method=data.method, result=data.result, performed=data.performed,
            rating=data.rating, comment=data.comment, by=change.actor.user_id, at=change.now,
        )
    ).returning(FollowUp.id)
    change.payload.update(follow_up_id=inserted[0]["id"], performed=data.performed, rating=data.rating)
    if data.rating is not None and change.case["assignee"]:
        change.outbox.append(("update_mediator_rating", {"user_id": change.case["assignee"]}, None))


@guard("extend")
async def _extend_guard(change: Change) -> None:
    if not change.data.both_parties_consent:
        raise ValidationFailed("An extension needs both parties' consent.")
    earlier = await CaseEvent.count().where((CaseEvent.case == change.case["id"]) & (CaseEvent.name == "extend"))
    if earlier:
        raise Conflict("The mediation deadline was already extended.")


@effect("extend")
async def _extend(change: Change) -> None:
    change.payload.update(kind="mediation", days=change.data.days, both_parties_consent=True, approved_by=change.actor.user_id)


@effect("urge")
@effect("supervise")
async def _urge(change: Change) -> None:
    change.payload["message"] = change.data.message
    change.outbox.append((f"notify_{change.transition.event}", {"case_id": change.case["id"]}, None))


@effect("own")
async def _own(change: Change) -> None:
    leader = change.data.leader_id or change.actor.user_id
    user = await StaffUser.select(
        StaffUser.id, StaffUser.roles, StaffUser.active, StaffUser.organisation.path.as_alias("org_path"),
    ).where(StaffUser.id == leader).output(load_json=True).first()
    if user is None or not user["active"]:
        raise NotFound()
    # 包案 is a leader of the case's level or above, not any account.
    if not (set(user["roles"] or []) & {"supervisor", "admin"}) or not (change.case["org_path"] or "").startswith(user["org_path"] or "\0"):
        raise ValidationFailed("The leader must be a supervisor of the case's level or above.")
    change.updates["owner_leader"] = leader
    change.payload["leader_id"] = leader


@effect("set_risk")
async def _set_risk(change: Change) -> None:
    change.updates["risk_level"] = change.data.risk_level
    change.payload.update(risk_level=change.data.risk_level, was=change.case["risk_level"], reason=change.data.reason)


@effect("add_party")
async def _add_party(change: Change) -> None:
    import msgspec

    from core.privacy.sensitive import is_minor

    row = msgspec.to_builtins(change.data.party)
    row["is_minor"] = is_minor(row, change.now.astimezone(get_settings().zone).date())
    if row["is_minor"]:
        change.updates["sensitive"] = True
    inserted = await Party.insert(Party(case=change.case["id"], **row)).returning(Party.id)
    change.payload.update(party_id=inserted[0]["id"], role=row["role"])
    if row.get("represented_count", 1) > 1 or row.get("is_representative"):
        change.updates["is_collective"] = True


@effect("add_assisting_unit")
async def _assist(change: Change) -> None:
    org = await Organisation.select(Organisation.id, Organisation.path).where(Organisation.id == change.data.organisation_id).first()
    if org is None:
        raise NotFound("Unknown organisation.")
    if await CaseUnit.exists().where(
        (CaseUnit.case == change.case["id"]) & (CaseUnit.organisation == org["id"]) & (CaseUnit.role == "assisting") & (CaseUnit.active == True)  # noqa: E712
    ):
        # A second row would need a second release before the unit stopped seeing the case.
        raise Conflict("This organisation is already an assisting unit of the case.")
    await CaseUnit.insert(CaseUnit(case=change.case["id"], organisation=org["id"], organisation_path=org["path"], role="assisting"))
    # The unit's staff and their superiors now see the case (core.cases.access).
    paths = (change.case.get("assisting_paths") or "").split()
    if org["path"] and org["path"] not in paths:
        change.updates["assisting_paths"] = " ".join([*paths, org["path"]])
    change.payload["organisation_id"] = org["id"]


@effect("release_assisting_unit")
async def _release(change: Change) -> None:
    cid, org_id = change.case["id"], change.data.organisation_id
    ended = await CaseUnit.update({CaseUnit.active: False}).where(
        (CaseUnit.case == cid) & (CaseUnit.organisation == org_id) & (CaseUnit.role == "assisting") & (CaseUnit.active == True)  # noqa: E712
    ).returning(CaseUnit.id)
    if not ended:
        raise Conflict("This organisation is not an assisting unit of the case.")
    # Rebuilt from the assisting rows still active, so a path stays while any of them holds it.
    change.updates["assisting_paths"] = await assisting_paths(cid)
    change.payload["organisation_id"] = org_id


async def assisting_paths(case_id: int) -> str:
    """``Case.assisting_paths`` as the case's active assisting rows give it (in the order added)."""
    rows = await CaseUnit.select(CaseUnit.organisation_path).where(
        (CaseUnit.case == case_id) & (CaseUnit.role == "assisting") & (CaseUnit.active == True)  # noqa: E712
    ).order_by(CaseUnit.id)
    return " ".join(dict.fromkeys(r["organisation_path"] for r in rows if r["organisation_path"]))


@effect("link")
async def _link(change: Change) -> None:
    from core.cases.access import ensure_can_see

    other = await Case.select().where(Case.id == change.data.other_case_id).first()
    if other is None or other["id"] == change.case["id"]:
        raise NotFound()
    ensure_can_see(change.actor, other)
    await CaseLink.insert(CaseLink(case=change.case["id"], other=other["id"], kind="related", created_by=change.actor.user_id))
    change.payload["other_case_id"] = other["id"]


@effect("note")
async def _note(change: Change) -> None:
    change.payload["text"] = change.data.text


async def ensure_dispute_type(code: str, path: str | None = None) -> None:
    """Active, and offered at ``path`` (another town's own type is unknown there)."""
    from core.roster.types import offered_at

    row = await DisputeType.select(DisputeType.organisation.path.as_alias("owner_path")).where(
        (DisputeType.code == code) & (DisputeType.active == True)  # noqa: E712
    ).first()
    if row is None or not offered_at(row, path):
        raise ValidationFailed("Unknown dispute type: {code}", code=code)

