"""Redis stopped and started again (empty: no persistence) while intakes keep arriving, with
the relay running as in the app and a real ``jiefen worker``. Moved here from
tests/jobs/test_outbox_arq.py (three intakes one after another) and put under load.

Asserted: intake never waits on Redis (every request answered 201 at the first try, also
while Redis is down), every acknowledged intake is stored once, and once Redis is back every
outbox row is done, the jobs Redis lost with its queue included, with each party told once
and no message sent twice."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from core.jobs import relay
from tests.factories import application
from tests.faults import helpers as f
from tests.jobs import helpers

pytestmark = [pytest.mark.db, pytest.mark.redis, pytest.mark.slow]

INTAKES = 36
CLIENTS = 4


@pytest.fixture
async def plugin():
    if not helpers.redis_available():
        pytest.skip("no Redis on 127.0.0.1:6379")
    with helpers.test_plugin() as module:
        yield module


def _marker(key: str) -> str:
    return f"Redis 重启测试 {key}"


async def test_redis_stopped_and_started_under_intake_load(plugin, town, login, client, sent_file):
    from core.jobs.settings import job_settings
    from tests.notifications.helpers import no_quiet_hours

    await no_quiet_hours(town)
    server, queue = helpers.RedisServer(f.port(f.REDIS_PORT)), helpers.new_queue()
    server.start()
    await relay.use(server.url, queue)
    # The relay as the app runs it: a background task, woken after each commit.
    job_settings().relay_interval = 0.5
    relay.start()
    # A row Redis lost when it stopped (enqueued, never run) is handed over again after 3 s.
    worker = helpers.Worker(server.url, queue, JIEFEN_JOBS_RESEND_AFTER="3").start()
    desk = await login(town.users["window"])
    ledger, accepted_keys, gate = f.Ledger(), set(), asyncio.Semaphore(CLIENTS)
    phases: dict[str, Any] = {}

    async def intake(i: int) -> None:
        key, staff = f.new_key(), i % 2 == 0
        if staff:
            accepted_keys.add(key)
            body = application(town, description=_marker(key), accept_now=True, rights_notified=True, consent=True)
            send = lambda: desk.post("/api/v1/cases", json=body, headers={"Idempotency-Key": key})  # noqa: E731
        else:
            body = {**application(town, channel="online", description=_marker(key)), "centre_id": town.town["id"]}
            send = lambda: client.post("/api/v1/public/applications", json=body, headers={"Idempotency-Key": key})  # noqa: E731
        async with gate:
            await f.send_until_acknowledged(send, key, ledger, deadline=asyncio.get_running_loop().time() + 60)
            if "stopped" in phases and "started" not in phases:
                phases.setdefault("during", []).append(key)

    async def outage() -> None:
        while len(ledger.acked) < INTAKES // 3:
            await asyncio.sleep(0.02)
        server.stop()  # Redis goes away, and with it whatever it had queued
        phases["stopped"] = True
        while len(ledger.acked) < 2 * INTAKES // 3:
            await asyncio.sleep(0.02)
        server.start()  # back, empty
        phases["started"] = True

    try:
        await asyncio.gather(outage(), *(intake(i) for i in range(INTAKES)))
        assert ledger.retried_keys == set() and set(ledger.statuses) == {201}, (ledger.statuses, ledger.server_errors[:2])
        assert len(phases.get("during", [])) >= 3, "too few intakes arrived while Redis was down"

        case_ids = await f.assert_stored_exactly_once(f.piccolo_fetch, ledger, _marker)
        accepted = {ledger.acked[k]["id"] for k in accepted_keys}
        await f.assert_timelines_once(f.piccolo_fetch, case_ids, lambda cid: {"submit": 1, "accept": 1} if cid in accepted else {"submit": 1})
        await f.wait_drained(f.piccolo_fetch, case_ids, 90, lambda: worker.output(dump=True))
        statuses = await f.assert_jobs_ran(f.piccolo_fetch, case_ids, accepted, sent_file)
        assert set(statuses) == {"sent"}, statuses  # no worker died mid-send: every message went, once
        rows = await f.outbox_of(f.piccolo_fetch, case_ids)
        assert max(r["attempts"] for r in rows) <= 2, "a job ran more than once besides the resend of a lost one"
    finally:
        await relay.stop()
        worker.stop()
        server.stop()
        await relay.use(None)
        job_settings.cache_clear()
