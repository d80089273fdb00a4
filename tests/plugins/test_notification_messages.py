"""The ``notification_messages`` hook: a plugin's own message kinds go through the core's
``notify`` (inbox row, translated by the plugin's catalogue), and the core's kinds win."""

from __future__ import annotations

from typing import Any

import pytest

from core import hookimpl
from core.notifications.tables import Notification
from core.plugins import host, notify
from tests.plugins.conftest import registered


class Messenger:
    @hookimpl
    def notification_messages(self) -> dict[str, tuple[str, str]]:
        return {
            "messenger_hello": ("Hello", "Case {number}: hello from a plugin."),
            "case_assigned": ("Hijacked", "The core's kinds cannot be replaced."),
        }


@pytest.mark.db
async def test_a_plugins_kind_goes_through_notify(town: Any) -> None:
    with registered(Messenger(), "messenger"):
        assert host.notification_messages()["messenger_hello"] == ("Hello", "Case {number}: hello from a plugin.")
        case = {"id": None, "org_path": town.town["path"], "number": "X-1"}
        user_id = town.users["supervisor"]["id"]
        made = await notify(key="messenger:1", kind="messenger_hello", case=None, params={"number": "X-1"}, user_id=user_id)
        again = await notify(key="messenger:1", kind="messenger_hello", case=None, params={"number": "X-1"}, user_id=user_id)
        assert made is not None and again is None  # keyed: once per recipient
        row = await Notification.select(Notification.kind, Notification.subject, Notification.body).where(Notification.id == made).first()
        assert row == {"kind": "messenger_hello", "subject": "Hello", "body": "Case X-1: hello from a plugin."}
        core_kind = await notify(key="messenger:2", kind="case_assigned", case=None, params=case, user_id=user_id)
        body = (await Notification.select(Notification.body).where(Notification.id == core_kind).first())["body"]
        assert "cannot be replaced" not in body
    with pytest.raises(KeyError):
        host.notification_messages()["messenger_hello"]
