"""What a party does on their case: rate it (评单) with the follow-up answers, leave a
message, add photos, withdraw, and fetch a session's calendar file."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from msgspec import Meta, Struct

from core.cases.evidence import add_evidence
from core.cases.lifecycle import transition
from core.cases.service import record_action
from core.cases.tables import Case, FollowUp, MediationSession
from core.db import write_transaction
from core.errors import Conflict, NotFound
from core.jobs.outbox import enqueue
from core.parties.apply import check_photos
from core.parties.tables import PartyMessage, PartyRating
from core.parties.tracking import PartyContext
from core.parties.view import RATABLE


class RatingIn(Struct, kw_only=True, forbid_unknown_fields=True):
    rating: Annotated[int, Meta(ge=1, le=5)]
    comment: Annotated[str, Meta(max_length=1000)] = ""
    # 回访: was the agreement performed? Only asked when there is one.
    performed: bool | None = None


class MessageIn(Struct, kw_only=True, forbid_unknown_fields=True):
    text: Annotated[str, Meta(min_length=1, max_length=1000)]


class WithdrawIn(Struct, kw_only=True, forbid_unknown_fields=True):
    reason: Annotated[str, Meta(min_length=1, max_length=500)]


async def rate(ctx: PartyContext, data: RatingIn) -> dict[str, Any]:
    """One rating per party; it is an online follow-up row, so the mediator's rating (the
    mean over follow-ups) takes it in through the ``update_mediator_rating`` job."""
    case = await Case.select(Case.id, Case.state, Case.assignee, Case.outcome).where(Case.id == ctx.case_id).first()
    if case["state"] not in RATABLE or case["assignee"] is None:
        raise Conflict("You can rate the service once mediation has ended.")
    performed = data.performed if case["outcome"] == "agreed" else None
    now = datetime.now(UTC)
    async with write_transaction():
        if await PartyRating.exists().where(PartyRating.party == ctx.party_id):
            raise Conflict("You have already rated this case.")
        follow_up = (await FollowUp.insert(
            FollowUp(case=ctx.case_id, method="online", result="当事人线上评价", performed=performed,
                     rating=data.rating, comment=data.comment.strip(), by=None, at=now)
        ).returning(FollowUp.id))[0]["id"]
        await PartyRating.insert(PartyRating(case=ctx.case_id, party=ctx.party_id, follow_up=follow_up, rating=data.rating, created_at=now))
        await record_action(ctx.case_id, "party_rating", ctx.actor, {"follow_up_id": follow_up, "rating": data.rating, "performed": performed})
        await enqueue("update_mediator_rating", {"user_id": case["assignee"]}, case_id=ctx.case_id, dedupe_key=f"party_rating:{follow_up}")
    return {"rating": data.rating, "performed": performed, "follow_up_id": follow_up}


async def leave_message(ctx: PartyContext, data: MessageIn) -> dict[str, Any]:
    async with write_transaction():
        row = (await PartyMessage.insert(
            PartyMessage(case=ctx.case_id, party=ctx.party_id, body=data.text.strip())
        ).returning(PartyMessage.id, PartyMessage.created_at))[0]
        # The timeline points at the row; the words stay out of the hash chain.
        await record_action(ctx.case_id, "party_message", ctx.actor, {"message_id": row["id"]})
    return row


async def add_photos(ctx: PartyContext, photos: list[tuple[str, bytes]]) -> list[dict[str, Any]]:
    check_photos(photos)
    added = []
    for filename, content in photos:
        row = await add_evidence(ctx.case_id, ctx.actor, filename, content, "当事人补充上传")
        added.append({k: row[k] for k in ("id", "filename", "content_type", "size")})
    return added


async def withdraw(ctx: PartyContext, data: WithdrawIn) -> dict[str, Any]:
    event = await transition(ctx.case_id, "withdraw", ctx.actor, {"reason": data.reason})
    return {"state": event["to_state"]}


async def session_ics(ctx: PartyContext, session_id: int) -> bytes:
    from core.notifications.ics import session_ics as make_ics

    session = await MediationSession.select().where(
        (MediationSession.id == session_id) & (MediationSession.case == ctx.case_id)
    ).first()
    if session is None:
        raise NotFound()
    case = await Case.select(Case.number).where(Case.id == ctx.case_id).first()
    mode = "线上视频调解" if session["mode"] == "video" else "现场调解"
    return make_ics(session, case, f"调解会 {case['number']}", f"{mode} {session['place'] or ''}".strip())
