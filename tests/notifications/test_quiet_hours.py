"""Quiet hours: residents' messages wait for the morning; staff inboxes do not."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from core.cases.tables import Case, Party
from core.jobs import relay
from core.jobs.tables import OutboxJob
from core.notifications import quiet
from core.notifications.service import notify
from core.notifications.tables import Delivery, Notification
from tests.factories import application, make_user

SH = ZoneInfo("Asia/Shanghai")


def test_window_across_midnight():
    start, end = quiet.parse("21:00"), quiet.parse("08:00")
    evening = datetime(2026, 3, 2, 23, 30, tzinfo=SH)
    assert quiet.not_before(evening, start, end, SH) == datetime(2026, 3, 3, 8, 0, tzinfo=SH)
    early = datetime(2026, 3, 3, 6, 0, tzinfo=SH)
    assert quiet.not_before(early, start, end, SH) == datetime(2026, 3, 3, 8, 0, tzinfo=SH)
    day = datetime(2026, 3, 3, 8, 0, tzinfo=SH)
    assert quiet.not_before(day, start, end, SH) == day
    assert quiet.not_before(datetime(2026, 3, 3, 20, 59, tzinfo=SH), start, end, SH).hour == 12  # 20:59 local = 12:59 UTC
    assert not quiet.is_quiet(evening, quiet.parse("00:00"), quiet.parse("00:00"), SH)
    lunch = (quiet.parse("12:00"), quiet.parse("14:00"))
    assert quiet.is_quiet(datetime(2026, 3, 3, 13, 0, tzinfo=SH), *lunch, SH)
    assert not quiet.is_quiet(datetime(2026, 3, 3, 14, 0, tzinfo=SH), *lunch, SH)


@pytest.mark.db
async def test_night_message_to_a_party_waits_until_morning(town, login, backend):
    admin = await login(await make_user(town.town, ["admin"], "管理员"))
    resp = await admin.client.put(
        f"/api/v1/notifications/settings/{town.town['id']}", headers=admin.headers,
        json={"quiet_start": "22:00", "quiet_end": "07:30"},
    )
    assert resp.status_code == 200 and resp.json()["quiet_end"] == "07:30"
    desk = await login(town.users["window"])
    cid = (await desk.post("/api/v1/cases", json=application(town))).json()["id"]
    case = await Case.select().where(Case.id == cid).first()
    party = await Party.select().where(Party.case == cid).first()
    # A night still ahead, so the morning it waits for is ahead too (a worker's relay runs
    # all the while and would send anything already due).
    night = datetime(2099, 3, 2, 23, 45, tzinfo=SH)
    morning = datetime(2099, 3, 3, 7, 30, tzinfo=SH).astimezone(UTC)
    key = f"test:quiet:{cid}"
    assert await notify(key=key, kind="case_accepted", case=case, params={"number": case["number"]}, party=party, now=night)
    assert await notify(key=key, kind="case_accepted", case=case, params={"number": case["number"]}, party=party, now=night) is None
    # The staff member's inbox row is there at once, whatever the hour.
    staff = await notify(key=key, kind="case_assigned", case=case, params={"number": case["number"]}, user_id=town.users["window"]["id"], now=night)
    assert staff
    note = await Notification.select().where(Notification.dedupe_key == f"{key}:party:{party['id']}").first()
    deliveries = await Delivery.select().where(Delivery.notification == note["id"])
    assert deliveries and {d["not_before"] for d in deliveries} == {morning}
    jobs = await OutboxJob.select().where(OutboxJob.dedupe_key.is_in([f"delivery:{d['id']}" for d in deliveries]))
    assert {j["available_at"] for j in jobs} == {morning}
    if backend.name == "arq":
        await relay.relay_once()
    await backend.run_all()
    assert {d["status"] for d in await Delivery.select().where(Delivery.notification == note["id"])} == {"pending"}
    # Morning comes.
    await OutboxJob.update({OutboxJob.available_at: datetime.now(UTC)}).where(OutboxJob.id.is_in([j["id"] for j in jobs]))
    await backend.run_all()
    assert {d["status"] for d in await Delivery.select().where(Delivery.notification == note["id"])} == {"sent"}
