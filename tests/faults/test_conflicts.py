"""Many requests at once through the HTTP app, on both engines: 50 conflicting actions on one
case, and a retry storm of identical intakes under one Idempotency-Key (moved here from
tests/core/test_concurrency.py; the service-level races stay there).

Asserted for each: every 2xx is on the timeline exactly once (and nothing else is), every
refusal is a clean 4xx problem (never a 5xx), and every job the winners queued ran with its
effect present: one ``deliver_event`` per event, the people told once each."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter

import pytest

from core.cases.tables import Case, CaseEvent, IdempotencyRecord
from core.cases.timeline import verify_chain
from core.jobs.runner import drain
from tests.factories import application
from tests.faults import helpers as f
from tests.jobs import helpers as jobs_helpers

pytestmark = [pytest.mark.db, pytest.mark.slow]


@pytest.fixture
def plugin():
    with jobs_helpers.test_plugin() as module:
        yield module


async def _run_jobs() -> None:
    while await drain():
        pass


async def test_fifty_conflicting_actions_on_one_case_over_http(town, login, plugin, sent_file):
    from tests.notifications.helpers import no_quiet_hours

    await no_quiet_hours(town)
    desk, supervisor, mediator = await login(town.users["window"]), await login(town.users["supervisor"]), await login(town.users["mediator0"])
    created = await desk.post("/api/v1/cases", json=application(town, accept_now=True, rights_notified=True, consent=True))
    cid = created.json()["id"]
    await desk.act(cid, "dispatch", mediator_id=town.users["mediator0"]["mediator_id"])
    await _run_jobs()
    before = await Case.select(Case.version).where(Case.id == cid).first()
    seqs_before = {e["seq"] for e in await CaseEvent.select(CaseEvent.seq).where(CaseEvent.case == cid)}
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
    calls = [api.post(f"/api/v1/cases/{cid}/actions/{event}", json=data) for api, event, data in (menu[i % len(menu)] for i in range(50))]

    responses = await asyncio.gather(*calls)

    statuses = Counter(r.status_code for r in responses)
    assert set(statuses) <= {200, 403, 409, 422}, {r.status_code: r.text for r in responses if r.status_code >= 500}
    refused = [r.json() for r in responses if r.status_code != 200]
    assert all(p["code"] and p["title"] and r.headers["content-type"].startswith("application/problem+json")
               for p, r in zip(refused, [r for r in responses if r.status_code != 200], strict=True))
    won = [r.json()["event"] for r in responses if r.status_code == 200]
    assert won, "at least one action succeeds"
    # Each acknowledged action is on the timeline once, under the seq it was told; nothing else was added.
    events = await CaseEvent.select().where(CaseEvent.case == cid).order_by(CaseEvent.seq)
    added = [e for e in events if e["seq"] not in seqs_before]
    assert sorted((e["seq"], e["name"]) for e in added) == sorted((w["seq"], w["name"]) for w in won)
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    for prev, ev in zip(events, events[1:], strict=False):
        assert ev["from_state"] == prev["to_state"], (prev["name"], ev["name"])
    after = await Case.select(Case.version, Case.state).where(Case.id == cid).first()
    assert after["version"] - before["version"] == len(won) and after["state"] == events[-1]["to_state"]
    assert (await verify_chain(cid)).intact

    await _run_jobs()
    rows = await f.outbox_of(f.piccolo_fetch, [cid])
    await f.assert_jobs_ran(f.piccolo_fetch, [cid], {cid}, sent_file)
    if any(w["name"] == "urge" for w in won):
        assert any(r["job"] == "notify_urge" for r in rows)


async def test_retry_storm_with_one_idempotency_key_over_http(town, client, plugin):
    key, marker, storm = f"storm-{uuid.uuid4()}", uuid.uuid4().hex[:8], 120
    body = {**application(town, channel="online", description=f"重试风暴 {marker}"), "centre_id": town.town["id"]}

    responses = await asyncio.gather(
        *(client.post("/api/v1/public/applications", json=body, headers={"Idempotency-Key": key}) for _ in range(storm))
    )

    assert {r.status_code for r in responses} == {201}, {r.status_code: r.text for r in responses}
    assert len({r.json()["id"] for r in responses}) == 1 and len({r.json()["number"] for r in responses}) == 1
    assert sum(1 for r in responses if not r.json().get("replayed")) == 1
    ledger = f.Ledger(acked={key: responses[0].json()})
    [cid] = await f.assert_stored_exactly_once(f.piccolo_fetch, ledger, lambda _: f"重试风暴 {marker}")
    assert await IdempotencyRecord.count().where(IdempotencyRecord.key == key) == 1
    await f.assert_timelines_once(f.piccolo_fetch, [cid], {"submit": 1})
    # The 119 losers rolled back: the application reference was not given to anyone else.
    assert await Case.count().where(Case.number == responses[0].json()["number"]) == 1

    await _run_jobs()
    rows = await f.outbox_of(f.piccolo_fetch, [cid])
    assert [r["job"] for r in rows].count("deliver_event") == 1 and {(r["status"], r["attempts"]) for r in rows} == {("done", 1)}, rows
