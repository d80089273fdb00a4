"""Concurrent writers on both engines: SQLite's single writer lock, PostgreSQL's version check
and counter row lock. Every refusal must be a clean 409, never a 500 or a lost update."""

from __future__ import annotations

import asyncio
import re
import uuid
from typing import Any

import pytest

from core.actors import Actor
from core.auth.service import actor_for_user
from core.cases import schemas as s
from core.cases.lifecycle import transition
from core.cases.service import create_case
from core.cases.tables import Case, CaseEvent
from core.cases.timeline import load_events, verify_chain
from core.errors import JiefenError
from tests.core.helpers import event_count
from tests.factories import application, make_town, make_user

pytestmark = [pytest.mark.db, pytest.mark.slow]
NUMBER = re.compile(r"〔(\d{4})〕(\d+)号")


async def _registered_case(town: Any, desk: Actor, **over: Any) -> int:
    data = s.CaseIn(
        channel="walk_in", dispute_type="labour", description="欠薪", place_id=town.villages[0]["id"],
        parties=[s.PartyIn(name="张三", phone="13800138000")], accept_now=True, rights_notified=True, consent=True, **over,
    )
    return (await create_case(data, desk, org_id=town.town["id"]))["id"]


async def _outcomes(calls: list[Any]) -> tuple[list[Any], list[JiefenError]]:
    results = await asyncio.gather(*calls, return_exceptions=True)
    unexpected = [r for r in results if isinstance(r, BaseException) and not isinstance(r, JiefenError)]
    assert not unexpected, f"not a clean refusal: {unexpected[:3]!r}"
    return [r for r in results if not isinstance(r, BaseException)], [r for r in results if isinstance(r, JiefenError)]


async def test_twenty_handlers_grab_one_case_from_the_pool():
    town = await make_town()
    desk = await actor_for_user(town.users["window"]["id"])
    cid = await _registered_case(town, desk)
    await transition(cid, "dispatch", desk, {"organisation_id": town.labour_dept["id"]})
    handlers = [await actor_for_user((await make_user(town.labour_dept, ["handler"], f"抢单{i}"))["id"]) for i in range(20)]
    before = await Case.select().where(Case.id == cid).first()

    won, refused = await _outcomes([transition(cid, "take", h, {}) for h in handlers])

    assert len(won) == 1, [e.code for e in refused]
    assert all(e.code in ("conflict", "invalid_transition") for e in refused), {e.code for e in refused}
    after = await Case.select().where(Case.id == cid).first()
    assert after["state"] == "in_mediation" and after["version"] == before["version"] + 1
    winner = next(h for h in handlers if h.user_id == after["assignee"])
    assert won[0]["actor"] == winner.user_id and after["in_pool"] is False
    assert await CaseEvent.count().where((CaseEvent.case == cid) & (CaseEvent.name == "take")) == 1
    assert (await verify_chain(cid)).intact


async def test_twenty_takes_by_the_assignee():
    town = await make_town()
    desk = await actor_for_user(town.users["window"]["id"])
    cid = await _registered_case(town, desk)
    await transition(cid, "dispatch", desk, {"mediator_id": town.users["mediator0"]["mediator_id"]})
    mediator = await actor_for_user(town.users["mediator0"]["id"])

    won, refused = await _outcomes([transition(cid, "take", mediator, {}) for _ in range(20)])

    assert len(won) == 1
    assert {e.code for e in refused} <= {"conflict", "invalid_transition"}
    assert await CaseEvent.count().where((CaseEvent.case == cid) & (CaseEvent.name == "take")) == 1
    assert (await verify_chain(cid)).intact


async def test_concurrent_intakes_and_registrations_get_gapless_numbers(town, login):
    """Intake hands out references without a counter; registration numbers the cases, and the
    losers of two desks registering the same case at once give their number back."""
    desk = await login(town.users["window"])
    marker = uuid.uuid4().hex[:8]
    bodies = [application(town, description=f"并发受理 {marker} {i}", external_ref=f"{marker}-{i}") for i in range(100)]

    responses = await asyncio.gather(*(desk.post("/api/v1/cases", json=b) for b in bodies))

    assert [r.status_code for r in responses] == [201] * 100, {r.status_code: r.text for r in responses if r.status_code != 201}
    references = [r.json()["number"] for r in responses]
    assert len(set(references)) == 100 and not any(NUMBER.search(n) for n in references)
    ids = [r.json()["id"] for r in responses]

    accept = {"rights_notified": True, "consent": True}
    answers = await asyncio.gather(*(desk.post(f"/api/v1/cases/{cid}/actions/accept", json=accept) for cid in ids + ids))

    assert sorted(r.status_code for r in answers) == [200] * 100 + [409] * 100, {r.status_code: r.text for r in answers}
    stored = await Case.select(Case.id, Case.number, Case.application_ref).where(Case.external_ref.like(f"{marker}-%"))
    assert sorted(r["application_ref"] for r in stored) == sorted(references)
    numbers = [r["number"] for r in stored]
    assert len(set(numbers)) == 100
    seqs = sorted(int(NUMBER.search(n).group(2)) for n in numbers)
    assert seqs == list(range(seqs[0], seqs[0] + 100)), "numbers have gaps"
    # Each case's registration event names the number it took.
    won = {r.json()["case"]["id"]: r.json()["event"]["payload"]["number"] for r in answers if r.status_code == 200}
    assert won == {r["id"]: r["number"] for r in stored}


# The retry storm with one Idempotency-Key, and the 50 conflicting actions through the HTTP
# app, are in tests/faults/test_conflicts.py.


async def test_fifty_conflicting_actions_on_one_case():
    town = await make_town()
    desk = await actor_for_user(town.users["window"]["id"])
    supervisor = await actor_for_user(town.users["supervisor"]["id"])
    mediator = await actor_for_user(town.users["mediator0"]["id"])
    cid = await _registered_case(town, desk)
    await transition(cid, "dispatch", desk, {"mediator_id": town.users["mediator0"]["mediator_id"]})
    before = await Case.select().where(Case.id == cid).first()
    events_before = await event_count(cid)
    menu = [
        (desk, "note", {"text": "备注"}),
        (supervisor, "set_risk", {"risk_level": "high"}),
        (supervisor, "urge", {"message": "请尽快"}),
        (mediator, "take", {}),
        (mediator, "first_contact", {}),
        (mediator, "return", {"reason": "不归我管"}),
        (desk, "redispatch", {"mediator_id": town.users["mediator1"]["mediator_id"]}),
        (desk, "add_party", {"party": {"name": "李四", "role": "third_party"}}),
        (mediator, "schedule_session", {"scheduled_at": "2026-12-01T02:00:00Z"}),
        (desk, "withdraw", {"reason": "撤回"}),
    ]
    calls = [transition(cid, event, actor, data) for actor, event, data in (menu[i % len(menu)] for i in range(50))]

    won, refused = await _outcomes(calls)

    assert won, "at least one action succeeds"
    after = await Case.select().where(Case.id == cid).first()
    assert await event_count(cid) - events_before == len(won)
    assert after["version"] - before["version"] == len(won)
    events = await CaseEvent.select().where(CaseEvent.case == cid).order_by(CaseEvent.seq)
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert events[-1]["to_state"] == after["state"]
    # Each event starts from the state the one before it ended in.
    for prev, ev in zip(events, events[1:], strict=False):
        assert ev["from_state"] == prev["to_state"], (prev["name"], ev["name"])
    assert (await verify_chain(cid)).intact


async def test_cross_merges_do_not_deadlock():
    """A into B and B into A at once: one wins, the other gets a clean 409 (not a deadlock)."""
    town = await make_town()
    desk = await actor_for_user(town.users["window"]["id"])
    for _ in range(5):
        a, b = await _registered_case(town, desk), await _registered_case(town, desk)
        won, refused = await _outcomes([
            transition(a, "merge", desk, {"into_case_id": b}), transition(b, "merge", desk, {"into_case_id": a}),
        ])
        assert len(won) == 1 and len(refused) == 1
        assert refused[0].status_code == 409
        assert (await verify_chain(a)).intact and (await verify_chain(b)).intact


async def test_twenty_system_events_on_one_case_all_land():
    """System events (a worker running two deadline steps of one case side by side, a plugin's
    step) have no stale view to refuse: they wait for each other, none fails with a conflict."""
    from core.actors import SYSTEM
    from core.cases.service import record_action

    town = await make_town()
    desk = await actor_for_user(town.users["window"]["id"])
    cid = await _registered_case(town, desk)
    before = await Case.select().where(Case.id == cid).first()

    landed, refused = await _outcomes([
        record_action(cid, "deadline_step", SYSTEM, {"kind": "mediation", "step": "reminder", "n": i}) for i in range(20)
    ])

    assert not refused, [e.code for e in refused]
    assert len(landed) == 20
    after = await Case.select().where(Case.id == cid).first()
    assert after["version"] == before["version"] + 20 and after["state"] == before["state"]
    steps = await CaseEvent.select(CaseEvent.payload).where((CaseEvent.case == cid) & (CaseEvent.name == "deadline_step")).output(load_json=True)
    assert sorted(e["payload"]["n"] for e in steps) == list(range(20))
    assert (await verify_chain(cid)).intact


async def test_twenty_staff_actions_without_a_version_all_land():
    """Staff (or an API client) who name no version act on the case as it is: concurrent notes
    and risk changes wait for each other; none is refused with a conflict."""
    town = await make_town()
    desk = await actor_for_user(town.users["window"]["id"])
    supervisor = await actor_for_user(town.users["supervisor"]["id"])
    cid = await _registered_case(town, desk)
    before = await Case.select().where(Case.id == cid).first()

    calls = [transition(cid, "note", desk if i % 2 else supervisor, {"text": f"备注{i}"}) for i in range(16)]
    calls += [transition(cid, "set_risk", supervisor, {"risk_level": level}) for level in ("high", "low", "medium", "high")]
    landed, refused = await _outcomes(calls)

    assert not refused, [e.code for e in refused]
    assert len(landed) == 20
    after = await Case.select().where(Case.id == cid).first()
    assert after["version"] == before["version"] + 20
    notes = [e for e in await load_events(cid) if e["name"] == "note"]
    assert sorted(e["payload"]["text"] for e in notes) == sorted(f"备注{i}" for i in range(16))
    assert (await verify_chain(cid)).intact
