"""Helpers for the notification tests."""

from __future__ import annotations

from typing import Any

from core.notifications.tables import NotificationSettings


async def no_quiet_hours(town: Any) -> None:
    """Tests that expect messages at once must not depend on the hour they run at."""
    await NotificationSettings.insert(NotificationSettings(organisation=town.county["id"], quiet_start="00:00", quiet_end="00:00"))
