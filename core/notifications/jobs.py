"""Job functions that tell people about a case. Each is idempotent: every notification it
makes is keyed by the event (or session, or ladder step) and the recipient."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from core.auth.tables import StaffUser
from core.cases.tables import Case, CaseEvent, FollowUp, MediationSession
from core.cases.timeline import join_remarks
from core.db import write_transaction
from core.i18n import label
from core.jobs.registry import job
from core.notifications import channels as ch
from core.notifications.recipients import parties_to_tell, staff_for_all
from core.notifications.service import notify
from core.notifications.tables import Delivery, Notification
from core.roster.tables import Mediator
from core.settings import get_settings

# What each event tells the parties (the acceptance, the agreement, the follow-up).
PARTY_MESSAGES = {"accept": "case_accepted", "agree": "agreement_ready", "follow_up": "follow_up"}
# Events that put a (new) person on the case: the parties learn the mediator's name and phone.
ASSIGNING = ("dispatch", "redispatch", "uphold", "take")
# Events notify_event tells anyone about (deliver_event queues it for these only).
TELLING_EVENTS = frozenset({*PARTY_MESSAGES, *ASSIGNING, "own"})


def _loads(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else (value or {})


async def _case(case_id: int) -> dict[str, Any] | None:
    return await Case.select().where(Case.id == case_id).first()


async def tell_parties(case: dict[str, Any], kind: str, key: str, params: dict[str, Any], **extra: Any) -> None:
    for party in await parties_to_tell(case["id"]):
        await notify(key=key, kind=kind, case=case, params=params, party=party, **extra)


async def tell_staff(case: dict[str, Any], user_ids: list[int], kind: str, key: str, params: Any) -> None:
    for user_id in user_ids:
        await notify(key=key, kind=kind, case=case, params=params, user_id=user_id)


async def _assignee_of(event: dict[str, Any], payload: dict[str, Any]) -> int | None:
    if event["name"] == "take":
        return event["actor"] if payload.get("grabbed_from_pool") else None
    return payload.get("assignee_id")


@job("notify_event")
async def notify_event(payload: dict[str, Any]) -> None:
    event = await CaseEvent.select().where(CaseEvent.id == payload["event_id"]).first()
    if event is None:
        return
    await join_remarks([event])
    case = await _case(event["case"])
    data, name, key = _loads(event["payload"]), event["name"], f"event:{event['id']}"
    params = {"number": case["number"]}
    if name in PARTY_MESSAGES:
        await tell_parties(case, PARTY_MESSAGES[name], key, params)
    elif name in ASSIGNING and (assignee := await _assignee_of(event, data)):
        if name != "take":
            await tell_staff(case, [assignee], "case_assigned", key, params)
        mediator = await Mediator.select(Mediator.name, Mediator.phone).where(Mediator.user == assignee).first()
        user = await StaffUser.select(StaffUser.display_name, StaffUser.phone).where(StaffUser.id == assignee).first()
        if user:
            who = {"mediator": (mediator or {}).get("name") or user["display_name"], "phone": (mediator or {}).get("phone") or user["phone"] or "-"}
            # Keyed by the person, not the event: a take after a dispatch does not repeat it.
            await tell_parties(case, "mediator_assigned", f"case:{case['id']}:assignee:{assignee}", {**params, **who})
    elif name == "own" and data.get("leader_id"):
        await tell_staff(case, [data["leader_id"]], "case_owned", key, params)


def _when(moment: datetime, locale: str) -> str:
    local = moment.astimezone(get_settings().zone)
    return local.strftime("%Y-%m-%d %H:%M") if locale == "en" else f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


@job("notify_session")
async def notify_session(payload: dict[str, Any]) -> None:
    from core.notifications.ics import ics_link

    session = await MediationSession.select().where(MediationSession.id == payload["session_id"]).first()
    if session is None or session["status"] != "scheduled":
        return
    case = await _case(session["case"])
    for party in await parties_to_tell(case["id"]):
        locale = party["prefers_locale"] or "zh_CN"
        params = {
            "number": case["number"], "when": _when(session["scheduled_at"], locale), "place": session["place"] or "-",
            "mode": label("mode", session["mode"], locale), "link": ics_link(session["id"]),
        }
        await notify(
            key=f"session:{session['id']}:scheduled", kind="session_scheduled", case=case, params=params, party=party,
            data={"session_id": session["id"]}, link=params["link"],
        )


async def _leaders_told(payload: dict[str, Any], event_name: str, kind: str, audiences: tuple[str, ...]) -> None:
    """Tell about every urge (supervise) event of the case: each once, keyed by the event."""
    case = await _case(payload["case_id"])
    if case is None:
        return
    events = await CaseEvent.select(CaseEvent.id, CaseEvent.payload).where(
        (CaseEvent.case == case["id"]) & (CaseEvent.name == event_name)
    ).order_by(CaseEvent.seq)
    await join_remarks(events)
    users = await staff_for_all(audiences, case)
    for event in events:
        params = {"number": case["number"], "message": _loads(event["payload"]).get("message", "")}
        await tell_staff(case, users, kind, f"event:{event['id']}", params)


@job("notify_urge")
async def notify_urge(payload: dict[str, Any]) -> None:
    await _leaders_told(payload, "urge", "case_urged", ("assignee", "org_head"))


@job("notify_supervise")
async def notify_supervise(payload: dict[str, Any]) -> None:
    await _leaders_told(payload, "supervise", "case_supervised", ("assignee", "org_head", "case_owner_leader"))


@job("update_mediator_rating")
async def update_mediator_rating(payload: dict[str, Any]) -> None:
    """The mean of the parties' ratings in follow-ups of the cases the mediator handles."""
    mediator = await Mediator.select(Mediator.id).where(Mediator.user == payload["user_id"]).first()
    if mediator is None:
        return  # a department handler, not on the roster
    cases = Case.select(Case.id).where(Case.assignee == payload["user_id"])
    rows = await FollowUp.select(FollowUp.rating).where(FollowUp.case.is_in(cases) & FollowUp.rating.is_not_null())
    ratings = [r["rating"] for r in rows]
    if not ratings:
        return
    async with write_transaction():
        await Mediator.update({Mediator.rating: round(sum(ratings) / len(ratings), 2), Mediator.rating_count: len(ratings)}).where(
            Mediator.id == mediator["id"]
        )


async def _attachments(notification: dict[str, Any], locale: str) -> list[tuple[str, str, bytes]]:
    data = _loads(notification["data"])
    if not data.get("session_id"):
        return []
    from core.notifications.ics import session_ics

    session = await MediationSession.select().where(MediationSession.id == data["session_id"]).first()
    if session is None:
        return []
    case = await Case.select(Case.number).where(Case.id == session["case"]).first()
    return [("session.ics", "text/calendar", session_ics(session, case, notification["subject"], notification["body"]))]


@job("send_delivery")
async def send_delivery(payload: dict[str, Any]) -> None:
    """Send once. A delivery found ``sending`` was interrupted mid-send (the worker died):
    it may have gone out, so it is marked ``uncertain`` and not repeated, unless the channel
    lets the provider drop repeats (``idempotent``)."""
    delivery_id = payload["delivery_id"]
    row = await Delivery.select().where(Delivery.id == delivery_id).first()
    if row is None or row["status"] in ("sent", "uncertain", "failed"):
        return
    channel = ch.available_channels().get(row["channel"])
    async with write_transaction():
        claimed = await Delivery.update({Delivery.status: "sending", Delivery.attempts: Delivery.attempts + 1}).where(
            (Delivery.id == delivery_id) & (Delivery.status == "pending")
        ).returning(Delivery.id)
        if not claimed and not (channel is not None and ch.is_idempotent(channel)):
            await Delivery.update({Delivery.status: "uncertain"}).where((Delivery.id == delivery_id) & (Delivery.status == "sending"))
            return
    if channel is None:
        await _finish(delivery_id, "failed", error=f"no channel named {row['channel']!r}")
        return
    notification = await Notification.select().where(Notification.id == row["notification"]).first()
    message = ch.OutgoingMessage(
        channel=row["channel"], dedupe_key=f"{notification['dedupe_key']}:{row['channel']}", audience=notification["audience"],
        kind=notification["kind"], locale=notification["locale"], address=row["address"], subject=notification["subject"],
        body=notification["body"], link=notification["link"], case_id=notification["case_id"], party_id=notification["party_id"],
        recipient_user_id=notification["recipient"], attachments=await _attachments(notification, notification["locale"]),
    )
    try:
        provider_id = await channel.send(message)
    except Exception as exc:
        # Refused before anything went out: back to pending, and the job is tried again.
        await _finish(delivery_id, "pending", error=f"{type(exc).__name__}: {exc}")
        raise
    await _finish(delivery_id, "sent", provider_id=str(provider_id or ""))


async def _finish(delivery_id: int, status: str, *, error: str = "", provider_id: str = "") -> None:
    values: dict[Any, Any] = {Delivery.status: status, Delivery.last_error: error[:2000]}
    if status == "sent":
        values.update({Delivery.sent_at: datetime.now(UTC), Delivery.provider_id: provider_id})
    async with write_transaction():
        await Delivery.update(values).where(Delivery.id == delivery_id)
