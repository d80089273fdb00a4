"""Deadline policies from the policy table, the working-day calendar, and the ladder."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.cases.tables import Case, CaseEvent
from core.deadlines import Event, compute_deadlines
from core.deadlines.config import policies_for_case, resolve
from core.deadlines.tables import DeadlineStepFired
from core.notifications.tables import Notification
from tests.factories import application, make_user

pytestmark = pytest.mark.db
SH = "Asia/Shanghai"


def _local(*args: int) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime(*args, tzinfo=ZoneInfo(SH))


async def _admin(town, login):
    return await login(await make_user(town.town, ["admin"], "镇管理员"))


async def test_policy_api_and_working_days_across_national_day(town, login):
    admin = await _admin(town, login)
    resp = await admin.client.put(
        "/api/v1/deadline-policies", headers=admin.headers,
        json={"organisation_id": town.town["id"], "kind": "mediation", "dispute_type": "labour", "duration": 3, "unit": "working_days"},
    )
    assert resp.status_code == 200, resp.text
    # A neighbour case keeps the default month.
    listed = (await admin.get(f"/api/v1/deadline-policies?organisation_id={town.town['id']}")).json()
    assert [r["kind"] for r in listed["rules"]] == ["mediation"] and len(listed["defaults"]) == 3

    labour = {"id": 0, "org_path": town.town["path"], "dispute_type": "labour", "channel": "walk_in", "org_level": "town"}
    policies = {p.kind: p for p in await policies_for_case(labour)}
    assert policies["mediation"].unit == "working_days" and policies["mediation"].duration == 3
    assert "first_contact" not in policies  # walk-in: no 72-hour clock
    neighbour = {**labour, "dispute_type": "neighbour"}
    assert {p.kind: p for p in await policies_for_case(neighbour)}["mediation"].duration == 30

    def due(take_at: datetime) -> datetime:
        events = [Event("take", take_at, "assigned", "in_mediation")]
        [status] = compute_deadlines(events, [policies["mediation"]], take_at + timedelta(days=1))
        return status.due_at.astimezone(_local(2025, 1, 1).tzinfo)

    # Taken Friday 2025-09-26: Sunday the 28th is an adjusted working day → due Tuesday 30th.
    assert due(_local(2025, 9, 26, 10)).date().isoformat() == "2025-09-30"
    # Taken Tuesday 2025-09-30: 1–8 October is the National Day holiday; Thursday 9th, Friday
    # 10th and the adjusted working Saturday 11th are the three days.
    assert due(_local(2025, 9, 30, 10)).date().isoformat() == "2025-10-11"


async def test_more_specific_rule_wins_and_fields_layer():
    county, town = 1, 2
    rules = [
        {"organisation": county, "kind": "mediation", "dispute_type": "", "level": "", "enabled": True, "duration": 20,
         "unit": None, "steps": [{"name": "urge", "offset_hours": 0, "notify": ["assignee"]}], "channels": None, "definition": None},
        {"organisation": town, "kind": "mediation", "dispute_type": "labour", "level": "", "enabled": True, "duration": 10,
         "unit": None, "steps": None, "channels": None, "definition": None},
        {"organisation": town, "kind": "follow_up", "dispute_type": "", "level": "", "enabled": False, "duration": None,
         "unit": None, "steps": None, "channels": None, "definition": None},
        {"organisation": town, "kind": "appraisal", "dispute_type": "", "level": "", "enabled": True, "duration": 5,
         "unit": "working_days", "steps": None, "channels": None, "definition": {"starts_on": ["refer"], "stops_on": ["resume"]}},
    ]
    got = {p.kind: p for p in resolve(rules, f"/{county}/{town}/", "labour", "town", "walk_in")}
    assert got["mediation"].duration == 10  # the town's labour rule over the county's
    assert [s.name for s in got["mediation"].steps] == ["urge"]  # the county's ladder still holds
    assert "follow_up" not in got  # turned off by the town
    assert got["appraisal"].starts_on == {"refer"}
    other_town = {p.kind: p for p in resolve(rules, f"/{county}/99/", "labour", "town", "walk_in")}
    assert other_town["mediation"].duration == 20 and "appraisal" not in other_town


async def _case_in_mediation(town, login) -> tuple[int, object]:
    desk = await login(town.users["window"])
    cid = (await desk.post("/api/v1/cases", json=application(town, accept_now=True, rights_notified=True, consent=True))).json()["id"]
    mediator = town.mediators[0]
    await desk.act(cid, "dispatch", mediator_id=mediator["id"])
    worker = await login(mediator["user"])
    await worker.act(cid, "take")
    return cid, desk


async def test_ladder_fires_each_step_once_and_records_urge_and_supervise(town, login, backend):
    from core.jobs.ladder import scan
    from tests.notifications.helpers import no_quiet_hours

    await no_quiet_hours(town)
    admin = await _admin(town, login)
    resp = await admin.client.put(
        "/api/v1/deadline-policies", headers=admin.headers,
        json={"organisation_id": town.town["id"], "kind": "mediation", "duration": 2, "unit": "working_days"},
    )
    assert resp.status_code == 200, resp.text
    await backend.run_all()  # the recompute after the policy change
    cid, desk = await _case_in_mediation(town, login)
    supervisor = await login(town.users["supervisor"])
    await supervisor.act(cid, "own")
    case = await Case.select(Case.next_due_at).where(Case.id == cid).first()
    assert case["next_due_at"] is not None
    after = case["next_due_at"] + timedelta(hours=25)

    assert await scan(after, case_ids=[cid]) == 5  # reminder, yellow, urge, red, supervise
    assert await scan(after, case_ids=[cid]) == 0  # once per (case, kind, due_at, step)
    await backend.run_all()
    assert await scan(after, case_ids=[cid]) == 0

    fired = await DeadlineStepFired.select().where(DeadlineStepFired.case_id == cid)
    assert sorted(f["step"] for f in fired) == ["reminder", "supervise", "urge", "warning_red", "warning_yellow"]
    steps = await CaseEvent.select(CaseEvent.payload).where((CaseEvent.case == cid) & (CaseEvent.name == "deadline_step")).output(load_json=True)
    assert sorted(s["payload"]["step"] for s in steps) == ["supervise", "urge"]

    told = await Notification.select(Notification.recipient, Notification.kind).where(Notification.case_id == cid)
    by_kind: dict[str, set] = {}
    for n in told:
        by_kind.setdefault(n["kind"], set()).add(n["recipient"])
    mediator_user = town.mediators[0]["user"]["id"]
    assert by_kind["deadline_urge"] == {mediator_user, town.users["supervisor"]["id"]}  # assignee + head
    # Supervision: the level above (county) and the leader who owns the case (包案).
    assert by_kind["deadline_supervise"] == {town.users["county_supervisor"]["id"], town.users["supervisor"]["id"]}
    text = await Notification.select(Notification.body).where(
        (Notification.case_id == cid) & (Notification.kind == "deadline_urge")
    ).first()
    assert "催办" in text["body"] and "调解时限" in text["body"]
    board = await supervisor.get(f"/api/v1/reports/deadlines?organisation_id={town.town['id']}")
    assert board.status_code == 200 and cid in board.json()["supervised"]


async def test_extension_moves_due_and_the_ladder_fires_again(town, login, backend):
    from core.jobs.ladder import scan

    cid, desk = await _case_in_mediation(town, login)
    first_due = (await Case.select(Case.next_due_at).where(Case.id == cid).first())["next_due_at"]
    assert await scan(first_due + timedelta(seconds=1), case_ids=[cid]) >= 3  # reminder, yellow, urge, red
    worker = await login(town.mediators[0]["user"])
    await worker.act(cid, "extend", days=10, both_parties_consent=True)
    new_due = (await Case.select(Case.next_due_at).where(Case.id == cid).first())["next_due_at"]
    assert new_due > first_due
    await backend.run_all()
    fired = await scan(new_due + timedelta(seconds=1), case_ids=[cid])
    assert fired == 4  # the same steps again, for the new due moment; supervise not yet
    _ = UTC
