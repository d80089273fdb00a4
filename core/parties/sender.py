"""Sending a one-time code: through the notification channels that reach a resident's phone
(SMS, WeChat … from plugins), or, with none configured, to the log (development).

Codes never go through the outbox or the inbox: those rows would keep the code in clear.
"""

from __future__ import annotations

import logging
from typing import Any

from core.cases.access import mask_phone
from core.i18n import gettext

log = logging.getLogger("jiefen.parties.otp")


def _phone_channels() -> list[Any]:
    try:
        from core.notifications import channels as ch
    except ImportError:  # notifications not installed: development fallback only
        return []
    return [
        c for name, c in ch.available_channels().items()
        if name != "log" and "party" in ch.audiences(c) and ch.address_kind(c) == "phone"
    ]


def message_text(code: str, minutes: int, locale: str) -> str:
    return gettext("Your Jiefen verification code is {code}, valid for {minutes} minutes. Do not share it.", locale, code=code, minutes=minutes)


async def send_code(phone: str, code: str, *, purpose: str, minutes: int, locale: str = "zh_CN", key: str = "") -> str:
    """Send and return the channel's name; raise if every real channel failed."""
    body = message_text(code, minutes, locale)
    channels = _phone_channels()
    for channel in channels:
        from core.notifications.channels import OutgoingMessage

        message = OutgoingMessage(
            channel=channel.name, dedupe_key=f"otp:{key}", audience="party", kind="otp", locale=locale,
            address=phone, subject=gettext("Verification code", locale), body=body,
        )
        try:
            await channel.send(message)
            return str(channel.name)
        except Exception:
            log.exception("sending a code through %s failed", channel.name)
    if channels:
        from core.parties.errors import CodeNotSent

        raise CodeNotSent()
    log.warning("no SMS channel configured; %s code for %s: %s", purpose, mask_phone(phone), code)
    return "log"
