"""Tracking links (a long random token per party and case, stored as a digest) and the short
party sessions a fresh code opens."""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from core.actors import Actor
from core.cases.access import mask_phone
from core.cases.tables import Case, Party
from core.db import write_transaction
from core.parties import otp
from core.parties.digests import token_digest
from core.parties.errors import SessionRequired
from core.parties.settings import party_settings
from core.parties.tables import PartySession, TrackingLink
from core.settings import get_settings

TOKEN = re.compile(r"^[A-Za-z0-9_\-]{32,64}$")
SESSION_PREFIX = "jp_"


@dataclass(frozen=True)
class PartyContext:
    """Who is looking: one party of one case, through one link."""

    case_id: int
    party_id: int
    link_id: int
    session_id: int
    csrf: str
    actor: Actor


def tracking_url(token: str) -> str:
    return f"{get_settings().base_url.rstrip('/')}/track/{token}"


async def new_link(case_id: int, party_id: int, *, replace: bool = False) -> str:
    """A fresh link for the party; ``replace`` revokes the party's earlier links to the case."""
    token = secrets.token_urlsafe(32)
    async with write_transaction():
        if replace:
            await TrackingLink.update({TrackingLink.revoked_at: datetime.now(UTC)}).where(
                (TrackingLink.case == case_id) & (TrackingLink.party == party_id) & TrackingLink.revoked_at.is_null()
            )
        await TrackingLink.insert(TrackingLink(token_digest=token_digest(token), case=case_id, party=party_id))
    return token


async def find_link(token: str) -> dict[str, Any] | None:
    if not TOKEN.fullmatch(token or ""):
        return None
    row = await TrackingLink.select(
        TrackingLink.id, TrackingLink.case, TrackingLink.party, TrackingLink.revoked_at,
        TrackingLink.party.phone.as_alias("phone"), TrackingLink.party.prefers_locale.as_alias("locale"),
    ).where(TrackingLink.token_digest == token_digest(token)).first()
    if row is None or row["revoked_at"] is not None:
        return None
    return row


async def send_code(token: str, ip: str) -> dict[str, Any]:
    """Send a code to the phone of the link's party; the answer names the phone masked."""
    link = await find_link(token)
    if link is None:
        from core.errors import NotFound

        raise NotFound()
    result = await otp.issue(link["phone"], "track", subject=f"link:{link['id']}", ip=ip, locale=link["locale"] or "zh_CN")
    return {**result, "phone": mask_phone(link["phone"])}


async def verify_code(token: str, code: str, ip: str) -> dict[str, Any]:
    """A right code for this link's party opens a session: (token, csrf, expiry)."""
    link = await find_link(token)
    if link is None:
        from core.errors import NotFound

        raise NotFound()
    await otp.verify(link["phone"], "track", code, subject=f"link:{link['id']}", ip=ip)
    return await start_session(link, ip)


async def start_session(link: dict[str, Any], ip: str = "") -> dict[str, Any]:
    token = SESSION_PREFIX + secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24)
    now = datetime.now(UTC)
    expires = now + timedelta(minutes=party_settings().session_minutes)
    async with write_transaction():
        await PartySession.insert(
            PartySession(
                token_digest=token_digest(token), link=link["id"], case=link["case"], party=link["party"],
                csrf_token=csrf, created_at=now, expires_at=expires, ip=ip[:64],
            )
        )
        await TrackingLink.update({TrackingLink.last_used_at: now}).where(TrackingLink.id == link["id"])
    return {"session_token": token, "csrf_token": csrf, "expires_at": expires}


async def context_for(session_token: str | None, *, link_token: str | None = None) -> PartyContext | None:
    """The party behind a session token, or None: unknown, ended, expired, revoked link, or
    (with ``link_token``) a session opened through a different link."""
    if not session_token or not session_token.startswith(SESSION_PREFIX):
        return None
    row = await PartySession.select(
        PartySession.id, PartySession.link, PartySession.case, PartySession.party, PartySession.csrf_token,
        PartySession.expires_at, PartySession.ended_at, PartySession.link.token_digest.as_alias("link_digest"),
        PartySession.link.revoked_at.as_alias("link_revoked"),
    ).where(PartySession.token_digest == token_digest(session_token)).first()
    if row is None or row["ended_at"] is not None or row["link_revoked"] is not None:
        return None
    if row["expires_at"] <= datetime.now(UTC):
        return None
    if link_token is not None and not hmac.compare_digest(token_digest(link_token), row["link_digest"] or ""):
        return None
    return PartyContext(
        case_id=row["case"], party_id=row["party"], link_id=row["link"], session_id=row["id"],
        csrf=row["csrf_token"], actor=await party_actor(row["case"]),
    )


async def require(session_token: str | None, *, link_token: str | None = None) -> PartyContext:
    ctx = await context_for(session_token, link_token=link_token)
    if ctx is None:
        raise SessionRequired()
    return ctx


async def end_session(session_token: str) -> None:
    async with write_transaction():
        await PartySession.update({PartySession.ended_at: datetime.now(UTC)}).where(
            PartySession.token_digest == token_digest(session_token)
        )


async def end_session_by_id(session_id: int) -> None:
    async with write_transaction():
        await PartySession.update({PartySession.ended_at: datetime.now(UTC)}).where(PartySession.id == session_id)


async def party_actor(case_id: int) -> Actor:
    case = await Case.select(Case.org, Case.org_path).where(Case.id == case_id).first()
    return Actor(
        kind="party", roles=frozenset({"party"}), case_id=case_id,
        org_id=case["org"] if case else None, org_path=case["org_path"] if case else "", name="party",
    )


async def party_row(party_id: int) -> dict[str, Any]:
    row = await Party.select().where(Party.id == party_id).first()
    assert row is not None
    return row
