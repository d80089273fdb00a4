"""One-time codes: 6 digits, stored as a keyed digest, valid for 10 minutes, used once,
throttled per phone and per client address, compared in constant time."""

from __future__ import annotations

import hmac
import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from piccolo.query.functions.aggregate import Sum

from core.db import write_transaction
from core.errors import RateLimited, ValidationFailed
from core.parties import sender
from core.parties.digests import is_mobile, keyed, normalise_phone, phone_digest
from core.parties.errors import CodeRejected
from core.parties.settings import party_settings
from core.parties.tables import OtpCode
from core.ratelimit import hit

CODE = re.compile(r"^\d{6}$")
PURPOSES = ("apply", "track")


def _now() -> datetime:
    return datetime.now(UTC)


def code_digest(code: str, phone_hash: str, purpose: str, subject: str) -> str:
    return keyed("otp", f"{purpose}:{subject}:{phone_hash}:{code}")


async def _throttle_send(phone_hash: str, same: Any, ip: str, now: datetime) -> None:
    cfg = party_settings()
    await hit("otp_send_ip", ip, max(cfg.otp_per_ip_per_hour // 4, 3))
    hour_ago = now - timedelta(hours=1)
    # The resend pause is per purpose; the hourly caps count every code to the phone.
    last = await OtpCode.select(OtpCode.created_at).where(same).order_by(
        OtpCode.id, ascending=False
    ).first()
    if last and now - last["created_at"] < timedelta(seconds=cfg.otp_resend_seconds):
        wait = cfg.otp_resend_seconds - int((now - last["created_at"]).total_seconds())
        raise RateLimited("Please wait {seconds} seconds before asking for a new code.", seconds=max(wait, 1))
    by_phone = await OtpCode.count().where((OtpCode.phone_digest == phone_hash) & (OtpCode.created_at > hour_ago))
    by_ip = await OtpCode.count().where((OtpCode.ip == ip) & (OtpCode.created_at > hour_ago))
    if by_phone >= cfg.otp_per_phone_per_hour or by_ip >= cfg.otp_per_ip_per_hour:
        raise RateLimited("Too many codes were asked for. Please try again in an hour.")


async def issue(phone: str, purpose: str, *, subject: str = "", ip: str = "", locale: str = "zh_CN") -> dict[str, Any]:
    """Make, store (digest only) and send a code; earlier unused codes for the same thing die."""
    if purpose not in PURPOSES:
        raise ValidationFailed(errors=[{"field": "purpose", "message": "unknown"}])
    if not is_mobile(phone):
        raise ValidationFailed("Enter a mobile phone number.", errors=[{"field": "phone", "message": "not a mobile number"}])
    phone = normalise_phone(phone)
    cfg, now, phone_hash = party_settings(), _now(), phone_digest(phone)
    code = f"{secrets.randbelow(10**6):06d}"
    async with write_transaction():
        same = (OtpCode.phone_digest == phone_hash) & (OtpCode.purpose == purpose) & (OtpCode.subject == subject)
        await _throttle_send(phone_hash, same, ip, now)
        await OtpCode.update({OtpCode.used_at: now, OtpCode.used_for: "superseded"}).where(same & OtpCode.used_at.is_null())
        row = (await OtpCode.insert(
            OtpCode(
                phone_digest=phone_hash, purpose=purpose, subject=subject, ip=ip[:64], created_at=now,
                code_digest=code_digest(code, phone_hash, purpose, subject),
                expires_at=now + timedelta(minutes=cfg.otp_ttl_minutes),
            )
        ).returning(OtpCode.id))[0]
    await sender.send_code(phone, code, purpose=purpose, minutes=cfg.otp_ttl_minutes, locale=locale, key=str(row["id"]))
    return {"sent": True, "expires_in": cfg.otp_ttl_minutes * 60, "resend_after": cfg.otp_resend_seconds}


async def _failures(phone_hash: str, now: datetime) -> int:
    row = await OtpCode.select(Sum(OtpCode.failed_attempts).as_alias("n")).where(
        (OtpCode.phone_digest == phone_hash) & (OtpCode.created_at > now - timedelta(hours=1))
    ).first()
    return int((row or {}).get("n") or 0)


async def verify(phone: str, purpose: str, code: str, *, subject: str = "", ip: str = "", used_for: str = "") -> None:
    """Accept the newest live code for (phone, purpose, subject) once; raise otherwise.

    ``used_for`` names the request (an Idempotency-Key digest): a retry of that same request
    with the same code is let in again, any other use of a used code is not.
    """
    cfg, now = party_settings(), _now()
    phone_hash = phone_digest(phone)
    await hit("otp_verify_ip", ip, 30)
    if await _failures(phone_hash, now) >= cfg.otp_failures_per_phone_per_hour:
        raise RateLimited("Too many wrong codes. Please try again in an hour.")
    same = (OtpCode.phone_digest == phone_hash) & (OtpCode.purpose == purpose) & (OtpCode.subject == subject)
    live = same & OtpCode.used_at.is_null() & (OtpCode.expires_at > now)
    row = await OtpCode.select().where(live).order_by(OtpCode.id, ascending=False).first()
    expected = code_digest(code if CODE.fullmatch(code or "") else "-", phone_hash, purpose, subject)
    if used_for and row is None:
        row = await OtpCode.select().where(same & (OtpCode.used_for == used_for) & (OtpCode.expires_at > now)).order_by(
            OtpCode.id, ascending=False
        ).first()
        if row is not None and hmac.compare_digest(row["code_digest"], expected):
            return
        row = None
    if row is None:
        raise CodeRejected()
    if not hmac.compare_digest(row["code_digest"], expected):
        async with write_transaction():
            counted = await OtpCode.update({OtpCode.failed_attempts: OtpCode.failed_attempts + 1}).where(
                OtpCode.id == row["id"]
            ).returning(OtpCode.failed_attempts)
            if counted and counted[0]["failed_attempts"] >= cfg.otp_max_attempts:
                await OtpCode.update({OtpCode.used_at: now, OtpCode.used_for: "too_many_attempts"}).where(
                    (OtpCode.id == row["id"]) & OtpCode.used_at.is_null()
                )
        raise CodeRejected()
    async with write_transaction():
        # The condition makes two racing requests with one code let only one in.
        claimed = await OtpCode.update({OtpCode.used_at: now, OtpCode.used_for: used_for or "used"}).where(
            (OtpCode.id == row["id"]) & OtpCode.used_at.is_null()
        ).returning(OtpCode.id)
    if not claimed:
        raise CodeRejected()
