"""A mediation session as an iCalendar (RFC 5545) file, and signed links to it for SMS."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from typing import Any

from icalendar import Calendar, Event

from core.settings import get_settings

SESSION_LENGTH = timedelta(hours=2)


def session_ics(session: dict[str, Any], case: dict[str, Any], summary: str, description: str = "") -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//Jiefen//jiefen//ZH")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    event = Event()
    # One UID per session, so a rescheduled session updates the entry rather than adding one.
    event.add("uid", f"session-{session['id']}@jiefen")
    event.add("dtstamp", datetime.now(UTC))
    start = session["scheduled_at"].astimezone(UTC)
    event.add("dtstart", start)
    event.add("dtend", start + SESSION_LENGTH)
    event.add("summary", summary)
    if session.get("place"):
        event.add("location", session["place"])
    if description:
        event.add("description", description)
    event.add("status", "CANCELLED" if session.get("status") == "cancelled" else "CONFIRMED")
    cal.add_component(event)
    return cal.to_ical()


def _mac(session_id: int) -> str:
    key = get_settings().secret_key.encode()
    return hmac.new(key, f"ics:{session_id}".encode(), hashlib.sha256).hexdigest()[:24]


def ics_token(session_id: int) -> str:
    return f"{session_id}-{_mac(session_id)}"


def session_from_token(token: str) -> int | None:
    sid, _, mac = token.partition("-")
    if not sid.isdecimal() or not hmac.compare_digest(mac, _mac(int(sid))):  # isdigit() takes "²", int() does not
        return None
    return int(sid)


def ics_link(session_id: int) -> str:
    return f"{get_settings().base_url.rstrip('/')}/api/v1/notifications/ics/{ics_token(session_id)}.ics"
