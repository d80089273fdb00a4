"""Channels: the inbox (the Notification row itself), ``log`` (development stand-in for
SMS/WeChat to residents), ``email`` (SMTP, when ``JIEFEN_SMTP_HOST`` is set) and whatever
plugins return from the ``notification_channels`` hook.

A channel is any object with ``name`` and ``async send(message) -> str | None``. Optional
attributes, with their defaults: ``audiences = {"party"}`` (who it reaches: "party",
"staff"), ``address = "phone"`` (or the name of a contact-address kind, e.g. "email"),
``quiet_hours = True`` (residents' messages wait for the morning), ``idempotent = False``
(True if the provider drops a repeat of ``message.dedupe_key``: then a send interrupted
by a crash is tried again instead of being marked uncertain).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from email.message import EmailMessage
from functools import lru_cache
from typing import Any

from pydantic_settings import BaseSettings, SettingsConfigDict

log = logging.getLogger("jiefen.notifications")


@dataclass
class OutgoingMessage:
    channel: str
    dedupe_key: str  # stable per notification and channel: pass it to providers that dedupe
    audience: str
    kind: str
    locale: str
    address: str
    subject: str
    body: str
    link: str = ""
    case_id: int | None = None
    party_id: int | None = None
    recipient_user_id: int | None = None
    attachments: list[tuple[str, str, bytes]] = field(default_factory=list)  # (filename, mime type, content)


def audiences(channel: Any) -> set[str]:
    return set(getattr(channel, "audiences", {"party"}))


def address_kind(channel: Any) -> str:
    return getattr(channel, "address", "phone")


def respects_quiet_hours(channel: Any) -> bool:
    return bool(getattr(channel, "quiet_hours", True))


def is_idempotent(channel: Any) -> bool:
    return bool(getattr(channel, "idempotent", False))


class LogChannel:
    """Writes resident messages to the log: the default while no SMS/WeChat plugin is on."""

    name = "log"
    audiences = {"party"}
    address = "phone"
    quiet_hours = True
    idempotent = True

    async def send(self, message: OutgoingMessage) -> str | None:
        from core.cases.access import mask_phone

        log.info("[%s] to %s (%s): %s", message.kind, mask_phone(message.address), message.locale, message.body)
        return f"log:{message.dedupe_key}"


class SmtpSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JIEFEN_SMTP_", extra="ignore")

    host: str = ""
    port: int = 587
    username: str = ""
    password: str = ""
    sender: str = "jiefen@localhost"
    starttls: bool = True
    ssl: bool = False


@lru_cache(maxsize=1)
def smtp_settings() -> SmtpSettings:
    return SmtpSettings()


class EmailChannel:
    name = "email"
    audiences = {"party", "staff"}
    address = "email"
    quiet_hours = False  # mail waits in the mailbox; it does not ring at night

    async def send(self, message: OutgoingMessage) -> str | None:
        mail = EmailMessage()
        mail["Subject"], mail["From"], mail["To"] = message.subject, smtp_settings().sender, message.address
        mail["Message-ID"] = f"<{message.dedupe_key.replace(':', '.')}@jiefen>"
        mail.set_content(message.body + (f"\n\n{message.link}" if message.link else ""))
        for filename, mime, content in message.attachments:
            maintype, _, subtype = mime.partition("/")
            mail.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
        await asyncio.to_thread(_smtp_send, mail)
        return mail["Message-ID"]


def _smtp_send(mail: EmailMessage) -> None:
    import smtplib

    cfg = smtp_settings()
    client_class = smtplib.SMTP_SSL if cfg.ssl else smtplib.SMTP
    with client_class(cfg.host, cfg.port, timeout=30) as client:
        if cfg.starttls and not cfg.ssl:
            client.starttls()
        if cfg.username:
            client.login(cfg.username, cfg.password)
        client.send_message(mail)


def available_channels() -> dict[str, Any]:
    """Outside channels by name (the inbox is not one: every notification is in it)."""
    from core.plugins.manager import get_manager

    found: dict[str, Any] = {}
    for contributed in get_manager().hook.notification_channels():
        for channel in contributed or []:
            if channel.name != "inbox":  # the inbox is the notification row itself
                found.setdefault(channel.name, channel)
    if smtp_settings().host:
        found.setdefault("email", EmailChannel())
    if not any("party" in audiences(c) and address_kind(c) == "phone" for c in found.values()):
        found["log"] = LogChannel()
    return found
