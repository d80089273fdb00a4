"""What parties and staff are told, in their language, once per event, with a calendar file."""

from __future__ import annotations

from collections import Counter

import pytest
from icalendar import Calendar

from core.cases.tables import Party
from core.notifications.tables import Delivery, Notification
from core.roster.tables import Mediator
from tests.factories import application
from tests.jobs import helpers
from tests.notifications.helpers import no_quiet_hours

pytestmark = pytest.mark.db


async def _party_messages(cid: int) -> list[dict]:
    return await Notification.select().where((Notification.case_id == cid) & (Notification.audience == "party")).order_by(Notification.id)


async def test_parties_and_staff_are_told_once(town, login, client, backend, sent_file):
    await no_quiet_hours(town)
    body = application(town, accept_now=True, rights_notified=True, consent=True)
    body["parties"][1]["prefers_locale"] = "en"
    desk = await login(town.users["window"])
    cid = (await desk.post("/api/v1/cases", json=body)).json()["id"]
    await backend.run_all()
    accepted = [m for m in await _party_messages(cid) if m["kind"] == "case_accepted"]
    assert len(accepted) == 2
    zh, en = sorted(accepted, key=lambda m: m["locale"], reverse=True)
    assert zh["locale"] == "zh_CN" and "已受理" in zh["body"] and "调〔" in zh["body"]
    assert en["locale"] == "en" and en["body"].startswith("Your dispute has been accepted")

    mediator = town.mediators[1]
    await desk.act(cid, "dispatch", mediator_id=mediator["id"])
    worker = await login(mediator["user"])
    await worker.act(cid, "take")
    session = await worker.act(cid, "schedule_session", scheduled_at="2026-12-01T02:00:00Z", place="镇调解室")
    await backend.run_all()
    await backend.run_all()  # running again changes nothing

    kinds = Counter(m["kind"] for m in await _party_messages(cid))
    assert kinds == {"case_accepted": 2, "mediator_assigned": 2, "session_scheduled": 2}
    roster = await Mediator.select(Mediator.name, Mediator.phone).where(Mediator.id == mediator["id"]).first()
    told = next(m for m in await _party_messages(cid) if m["kind"] == "mediator_assigned" and m["locale"] == "zh_CN")
    assert roster["name"] in told["body"] and roster["phone"] in told["body"]

    session_note = next(m for m in await _party_messages(cid) if m["kind"] == "session_scheduled" and m["locale"] == "zh_CN")
    assert "2026年12月1日 10:00" in session_note["body"] and "现场调解" in session_note["body"]
    ics = await client.get(session_note["link"].split("8000", 1)[-1])
    assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
    event = next(c for c in Calendar.from_ical(ics.content).walk("VEVENT"))
    assert event.decoded("dtstart").isoformat().startswith("2026-12-01T02:00:00")
    assert str(event["location"]) == "镇调解室"
    bad = await client.get(f"/api/v1/notifications/ics/{session['event']['payload']['session_id']}-forged.ics")
    assert bad.status_code == 404

    # The staff inbox: the dispatch told the mediator.
    inbox = (await worker.get("/api/v1/notifications")).json()
    mine = [n for n in inbox["items"] if n["case_id"] == cid]
    assert [n["kind"] for n in mine] == ["case_assigned"] and inbox["unread"] >= 1
    assert (await worker.post(f"/api/v1/notifications/{mine[0]['id']}/read")).json() == {"marked": 1}
    assert (await worker.post(f"/api/v1/notifications/{mine[0]['id']}/read")).json() == {"marked": 0}
    unread = (await worker.get("/api/v1/notifications?unread=true")).json()["items"]
    assert mine[0]["id"] not in [n["id"] for n in unread]
    stranger = await login(town.users["window"])
    assert (await stranger.post(f"/api/v1/notifications/{mine[0]['id']}/read")).json() == {"marked": 0}

    # Every party message went out once, through the (test) SMS channel.
    ids = [m["id"] for m in await _party_messages(cid)]
    deliveries = await Delivery.select().where(Delivery.notification.is_in(ids))
    assert len(deliveries) == 6 and {d["status"] for d in deliveries} == {"sent"}
    sent = helpers.lines(sent_file)
    assert len(sent) == len(set(sent))


async def test_agreement_follow_up_and_rating(town, login, backend):
    await no_quiet_hours(town)
    desk = await login(town.users["window"])
    cid = (await desk.post("/api/v1/cases", json=application(town, accept_now=True, rights_notified=True, consent=True))).json()["id"]
    mediator = town.mediators[2]
    await desk.act(cid, "dispatch", mediator_id=mediator["id"])
    worker = await login(mediator["user"])
    await worker.act(cid, "take")
    await worker.act(cid, "agree", facts="欠薪", matters="工资", terms=[{"obligor": "厂", "what": "付工资", "amount": "100.00"}])
    await worker.act(cid, "follow_up", method="phone", performed=True, rating=2)
    await backend.run_all()
    kinds = Counter(m["kind"] for m in await _party_messages(cid))
    assert kinds["agreement_ready"] == 2 and kinds["follow_up"] == 2
    rated = await Mediator.select(Mediator.rating, Mediator.rating_count).where(Mediator.id == mediator["id"]).first()
    assert rated == {"rating": 2.0, "rating_count": 1}


async def test_collective_case_tells_the_representatives(town, login, backend):
    await no_quiet_hours(town)
    body = application(town, accept_now=True, rights_notified=True, consent=True)
    body["parties"] = [
        {"name": "工人代表", "role": "applicant", "phone": "13900000001", "is_representative": True, "represented_count": 130},
        *[{"name": f"工人{i}", "role": "applicant", "phone": f"1390000010{i}"} for i in range(5)],
        {"name": "某建筑公司", "role": "respondent", "kind": "company", "phone": "076912345678", "is_representative": True},
    ]
    desk = await login(town.users["window"])
    cid = (await desk.post("/api/v1/cases", json=body)).json()["id"]
    await backend.run_all()
    told = {m["party_id"] for m in await _party_messages(cid)}
    reps = {p["id"] for p in await Party.select(Party.id).where((Party.case == cid) & (Party.is_representative == True))}  # noqa: E712
    assert told == reps and len(reps) == 2


async def test_urge_and_supervise_by_hand_tell_the_assignee_and_leaders(town, login, backend):
    await no_quiet_hours(town)
    desk = await login(town.users["window"])
    cid = (await desk.post("/api/v1/cases", json=application(town, accept_now=True, rights_notified=True, consent=True))).json()["id"]
    mediator = town.mediators[0]
    await desk.act(cid, "dispatch", mediator_id=mediator["id"])
    supervisor = await login(town.users["supervisor"])
    await supervisor.act(cid, "urge", message="请本周内联系当事人")
    await supervisor.act(cid, "urge", message="再次催办")
    county = await login(town.users["county_supervisor"])
    await county.act(cid, "supervise", message="县里督办")
    await backend.run_all()
    staff = await Notification.select(Notification.recipient, Notification.kind, Notification.body).where(
        (Notification.case_id == cid) & (Notification.audience == "staff")
    )
    urged = [n for n in staff if n["kind"] == "case_urged"]
    # Two urges, each told once to the assignee and the town's head.
    assert Counter(n["recipient"] for n in urged) == {mediator["user"]["id"]: 2, town.users["supervisor"]["id"]: 2}
    assert any("请本周内联系当事人" in n["body"] for n in urged)
    supervised = [n for n in staff if n["kind"] == "case_supervised"]
    assert {n["recipient"] for n in supervised} == {mediator["user"]["id"], town.users["supervisor"]["id"]}
    assert all("县里督办" in n["body"] for n in supervised)
