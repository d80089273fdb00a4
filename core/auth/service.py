"""Passwords (argon2), staff sessions, lockout and API keys."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from core.actors import Actor
from core.auth.tables import ApiKey, SignInFailure, StaffSession, StaffUser
from core.db import is_sqlite, write_transaction
from core.errors import Forbidden, RateLimited, Unauthorized
from core.orgs.tables import Organisation
from core.settings import get_settings

_hasher = PasswordHasher()
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
# Verifying against this keeps a wrong user name as slow as a wrong password.
_DUMMY_HASH = _hasher.hash("jiefen-timing-equaliser")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# Failed sign-ins for names that are not (active) accounts lock like real ones, so that the
# answers do not tell which names exist. In the database (``signin_failure``), like a real
# account's count, so every app process sees one count. A count left alone for a day is
# forgotten, which bounds the table (a real account's count is kept until its next sign-in).
FORGET_UNKNOWN_AFTER = timedelta(days=1)


def _locked(until: datetime, now: datetime) -> RateLimited:
    minutes = max(1, int((until - now).total_seconds() // 60) + 1)
    return RateLimited("Too many failed sign-ins. Try again after {minutes} minutes.", minutes=minutes)


async def _unknown_name_failed(username: str, now: datetime) -> None:
    key = token_digest(username)
    locked_until: datetime | None = None
    async with write_transaction():
        # The row first (a no-op when it exists), then locked: two processes counting the same
        # name at once queue on it instead of both writing count + 1.
        await SignInFailure.insert(SignInFailure(name_digest=key, failed=0, updated_at=now)).on_conflict(action="DO NOTHING")
        query = SignInFailure.select().where(SignInFailure.name_digest == key)
        row = await (query if is_sqlite() else query.lock_rows()).first()
        if row["locked_until"] and row["locked_until"] > now:
            locked_until = row["locked_until"]
        else:
            failed = row["failed"] + 1
            until = now + LOCKOUT if failed >= MAX_FAILED_LOGINS else None
            await SignInFailure.update(
                {SignInFailure.failed: 0 if until else failed, SignInFailure.locked_until: until, SignInFailure.updated_at: now}
            ).where(SignInFailure.id == row["id"])
        await SignInFailure.delete().where(SignInFailure.updated_at < now - FORGET_UNKNOWN_AFTER)
    if locked_until is not None:
        raise _locked(locked_until, now)
    raise Unauthorized("Wrong user name or password.")


async def authenticate(username: str, password: str) -> dict[str, Any]:
    user = await StaffUser.select().where(StaffUser.username == username).first()
    now = datetime.now(UTC)
    if user is None or not user["active"]:
        # Same work and same answers as for a real account: one hash check, then a lockout.
        _verify(_DUMMY_HASH, password)
        await _unknown_name_failed(username, now)
    if user["locked_until"] and user["locked_until"] > now:
        _verify(_DUMMY_HASH, password)
        raise _locked(user["locked_until"], now)
    if not _verify(user["password_hash"], password):
        failed = user["failed_logins"] + 1
        locked = now + LOCKOUT if failed >= MAX_FAILED_LOGINS else None
        await StaffUser.update(
            {StaffUser.failed_logins: 0 if locked else failed, StaffUser.locked_until: locked}
        ).where(StaffUser.id == user["id"])
        raise Unauthorized("Wrong user name or password.")
    await StaffUser.update({StaffUser.failed_logins: 0, StaffUser.locked_until: None, StaffUser.last_login_at: now}).where(
        StaffUser.id == user["id"]
    )
    return user


def _verify(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


async def start_session(user_id: int, ip: str = "", user_agent: str = "") -> tuple[str, str]:
    """A fresh token on every sign-in (no session fixation); returns (token, csrf_token)."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24)
    await StaffSession.insert(
        StaffSession(token_hash=token_digest(token), user=user_id, csrf_token=csrf, ip=ip[:64], user_agent=user_agent[:255])
    )
    return token, csrf


async def end_session(token: str) -> None:
    await StaffSession.update({StaffSession.ended_at: datetime.now(UTC)}).where(StaffSession.token_hash == token_digest(token))


async def actor_for_session(token: str) -> tuple[Actor, str] | None:
    """The actor behind a session cookie and its CSRF token, or None if ended or idle too long."""
    row = await StaffSession.select(
        StaffSession.id, StaffSession.user, StaffSession.csrf_token, StaffSession.last_seen_at, StaffSession.ended_at,
    ).where(StaffSession.token_hash == token_digest(token)).first()
    if row is None or row["ended_at"] is not None:
        return None
    now = datetime.now(UTC)
    if now - row["last_seen_at"] > timedelta(minutes=get_settings().session_idle_minutes):
        await StaffSession.update({StaffSession.ended_at: now}).where(StaffSession.id == row["id"])
        return None
    # Touch at most once a minute: a page of HTMX requests should not each write.
    if now - row["last_seen_at"] > timedelta(seconds=60):
        await StaffSession.update({StaffSession.last_seen_at: now}).where(StaffSession.id == row["id"])
    actor = await actor_for_user(row["user"])
    if actor is None:
        return None
    return actor, row["csrf_token"]


async def actor_for_user(user_id: int) -> Actor | None:
    user = await StaffUser.select(
        *StaffUser.all_columns(), StaffUser.organisation.path.as_alias("org_path")
    ).where(StaffUser.id == user_id).output(load_json=True).first()
    if user is None or not user["active"]:
        return None
    return Actor(
        kind="staff", roles=frozenset(user["roles"] or []), org_id=user["organisation"], org_path=user["org_path"],
        user_id=user["id"], name=user["display_name"], locale=user["locale"],
    )


def new_api_key() -> tuple[str, str, str]:
    """(the key to hand out once, its display prefix, its stored digest)."""
    prefix = secrets.token_hex(4)
    key = f"jf_{prefix}_{secrets.token_urlsafe(32)}"
    return key, prefix, token_digest(key)


async def actor_for_api_key(key: str) -> Actor:
    if not key.startswith("jf_"):
        raise Unauthorized("The API key is not valid.")
    row = await ApiKey.select(*ApiKey.all_columns(), ApiKey.organisation.path.as_alias("org_path")).where(
        ApiKey.key_hash == token_digest(key)
    ).output(load_json=True).first()
    # The lookup is by digest, and the final check is constant-time.
    if row is None or not row["active"] or not hmac.compare_digest(row["key_hash"], token_digest(key)):
        raise Unauthorized("The API key is not valid.")
    return Actor(
        kind="api_key", roles=frozenset(row["roles"] or []), org_id=row["organisation"], org_path=row["org_path"],
        api_key_id=row["id"], name=row["name"], scopes=frozenset(row["scopes"] or []),
    )


def require_scope(actor: Actor, scope: str) -> None:
    if actor.kind == "api_key" and scope not in actor.scopes and "*" not in actor.scopes:
        raise Forbidden("The API key may not {scope}.", scope=scope)


async def org_path(org_id: int) -> str:
    row = await Organisation.select(Organisation.path).where(Organisation.id == org_id).first()
    return row["path"] if row else ""
