"""Creating notifications and reading the inbox.

``notify`` writes the inbox row and one delivery per outside channel in one transaction,
each delivery with an outbox job of its own (so a failing email never holds up an SMS),
due at once or, for residents in quiet hours, in the morning. The row's unique
``dedupe_key`` (event + recipient) makes the whole call idempotent.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from core.auth.tables import StaffUser
from core.db import write_transaction
from core.jobs.outbox import enqueue
from core.notifications import channels as ch
from core.notifications import quiet
from core.notifications.messages import render
from core.notifications.tables import ContactAddress, Delivery, Notification, NotificationSettings
from core.settings import get_settings


def _loads(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


async def town_settings(org_path: str) -> dict[str, Any]:
    """The nearest settings row at or above ``org_path``, or the defaults."""
    from core.deadlines.config import ancestor_ids

    ids = ancestor_ids(org_path)
    rows = await NotificationSettings.select(
        NotificationSettings.organisation, NotificationSettings.quiet_start, NotificationSettings.quiet_end,
        NotificationSettings.party_channels,
    ).where(NotificationSettings.organisation.is_in(ids)) if ids else []
    if rows:
        nearest = max(rows, key=lambda r: ids.index(r["organisation"]))
        return {**nearest, "party_channels": _loads(nearest["party_channels"])}
    return {"organisation": None, "quiet_start": quiet.DEFAULT_START, "quiet_end": quiet.DEFAULT_END, "party_channels": None}


async def _address(channel: Any, owner: str, phone: str) -> str:
    kind = ch.address_kind(channel)
    if kind == "phone":
        return phone
    row = await ContactAddress.select(ContactAddress.address).where(
        (ContactAddress.owner == owner) & (ContactAddress.channel == kind)
    ).first()
    return row["address"] if row else ""


async def notify(
    *, key: str, kind: str, case: dict[str, Any] | None, params: dict[str, Any] | Callable[[str], dict[str, Any]],
    user_id: int | None = None, party: dict[str, Any] | None = None, data: dict[str, Any] | None = None,
    link: str = "", now: datetime | None = None,
) -> int | None:
    """Tell one staff user (``user_id``) or one party; None if this was already done.

    ``params`` may be a function of the recipient's locale, for labels inside the text.
    """
    now = now or datetime.now(UTC)
    if party is not None:
        audience, owner, phone, locale = "party", f"party:{party['id']}", party.get("phone", ""), party.get("prefers_locale")
    else:
        user = await StaffUser.select(StaffUser.locale, StaffUser.phone, StaffUser.active).where(StaffUser.id == user_id).first()
        if user is None or not user["active"]:
            return None
        audience, owner, phone, locale = "staff", f"staff:{user_id}", user["phone"], user["locale"]
    locale = locale or get_settings().default_locale
    subject, body = render(kind, locale, params(locale) if callable(params) else params)
    settings = await town_settings(case["org_path"]) if case else await town_settings("")
    wanted = settings["party_channels"]
    start, end = quiet.parse(settings["quiet_start"]), quiet.parse(settings["quiet_end"])
    async with write_transaction():
        inserted = await Notification.insert(
            Notification(
                dedupe_key=f"{key}:{owner}"[:200], audience=audience, recipient=user_id, case_id=case["id"] if case else None,
                party_id=party["id"] if party else None, kind=kind, locale=locale, subject=subject, body=body,
                link=link, data=data or {}, created_at=now,
            )
        ).on_conflict(action="DO NOTHING", target=Notification.dedupe_key).returning(Notification.id)
        if not inserted:
            return None
        notification_id = inserted[0]["id"]
        for name, channel in ch.available_channels().items():
            if audience not in ch.audiences(channel) or (audience == "party" and wanted is not None and name not in wanted):
                continue
            address = await _address(channel, owner, phone)
            if not address:
                continue
            due = now
            if audience == "party" and ch.respects_quiet_hours(channel):
                due = quiet.not_before(now, start, end, get_settings().zone)
            delivery = await Delivery.insert(
                Delivery(notification=notification_id, channel=name, address=address, not_before=due, created_at=now)
            ).returning(Delivery.id)
            delivery_id = delivery[0]["id"]
            await enqueue(
                "send_delivery", {"delivery_id": delivery_id}, case_id=case["id"] if case else None,
                dedupe_key=f"delivery:{delivery_id}", available_at=due,
            )
    return notification_id


async def inbox(user_id: int, *, unread_only: bool = False, before_id: int | None = None, limit: int = 50) -> list[dict[str, Any]]:
    where = Notification.recipient == user_id
    if unread_only:
        where &= Notification.read_at.is_null()
    if before_id:
        where &= Notification.id < before_id
    return await Notification.select(
        Notification.id, Notification.kind, Notification.subject, Notification.body, Notification.case_id,
        Notification.link, Notification.created_at, Notification.read_at,
    ).where(where).order_by(Notification.id, ascending=False).limit(limit)


async def unread_count(user_id: int) -> int:
    return await Notification.count().where((Notification.recipient == user_id) & Notification.read_at.is_null())


async def mark_read(user_id: int, ids: list[int] | None = None) -> int:
    """Mark some (or, with None, all) of this user's notifications read; returns how many."""
    where = (Notification.recipient == user_id) & Notification.read_at.is_null()
    if ids is not None:
        where &= Notification.id.is_in(ids or [-1])
    async with write_transaction():
        rows = await Notification.update({Notification.read_at: datetime.now(UTC)}).where(where).returning(Notification.id)
    return len(rows)
