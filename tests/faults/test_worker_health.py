"""The worker survives its cron ticks (it used to die at the first: arq rejected the frozenset
fields), and the health views a load balancer or monitor reads.

A real ``jiefen worker`` ticking across a minute boundary is part of
tests/faults/test_postgres_restart.py; here arq's own next-run computation is run for every
cron entry, core and plugins, over a day and a night."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest

from tests.jobs import helpers

pytestmark = [pytest.mark.db]
SPAN = timedelta(hours=26)


def test_arq_computes_every_cron_entry_for_a_day(monkeypatch):
    from core.jobs import cron as entries
    from core.jobs.worker import worker_settings
    from core.settings import get_settings

    monkeypatch.setenv("JIEFEN_REDIS_URL", "redis://127.0.0.1:6379/5")
    monkeypatch.setenv("JIEFEN_JOBS_CRON", "true")
    get_settings.cache_clear()
    from core.jobs.settings import job_settings

    job_settings.cache_clear()
    try:
        settings = worker_settings()
        zone = get_settings().zone
        by_name = {f"cron:{e.name}": e for e in entries.entries()}
    finally:
        get_settings.cache_clear()
        job_settings.cache_clear()
    crons = settings["cron_jobs"]
    assert {c.name for c in crons} == set(by_name) and "cron:deadline_ladder" in by_name
    start = datetime(2026, 11, 23, 23, 58, 30, tzinfo=zone)  # across midnight, a Monday into a Tuesday
    for job in crons:
        entry, moment, fired = by_name[job.name], start, []
        while True:
            job.calculate_next(moment)  # what arq does at every tick: this is where it raised
            moment = job.next_run
            if moment > start + SPAN or len(fired) == 90:  # arq takes ms per step: 90 minutes of every-minute do
                break
            assert moment.second == 0 and entry.matches(moment), (job.name, moment)
            fired.append(moment.replace(microsecond=0))  # arq adds a fixed microsecond offset
        until = min(start + SPAN, moment)
        minutes = int((until - start.replace(second=0)).total_seconds() // 60)
        expected = [m for m in (start.replace(second=0) + timedelta(minutes=i) for i in range(1, minutes + 1)) if entry.matches(m)][:90]
        assert fired == expected, (job.name, fired[:3], expected[:3])
    ladder = next(c for c in crons if c.name == "cron:deadline_ladder")
    ladder.calculate_next(start)
    assert ladder.next_run.replace(microsecond=0) == start.replace(second=0) + timedelta(minutes=1)


@pytest.mark.redis
@pytest.mark.slow
async def test_a_worker_with_cron_on_stays_up():
    if not helpers.redis_available():
        pytest.skip("no Redis on 127.0.0.1:6379")
    worker = helpers.Worker(helpers.SHARED_REDIS, helpers.new_queue(), JIEFEN_JOBS_CRON="true").start()
    try:
        deadline = time.monotonic() + 60
        while "Starting worker" not in worker.output():
            assert worker.proc.poll() is None and time.monotonic() < deadline, worker.output()
            time.sleep(0.2)
        time.sleep(3)  # arq computes every entry's next run on its first polls
        assert worker.proc.poll() is None, worker.output()
        assert "Traceback" not in worker.output(), worker.output()
    finally:
        worker.stop()


async def test_health_views(client):
    live = await client.get("/health")
    assert live.status_code == 200 and live.json() == {"status": "ok"}
    ready = await client.get("/health/ready")
    assert ready.status_code == 200, ready.text
    body = ready.json()
    assert body["status"] == "ok" and body["checks"]["database"] == {"ok": True}
    assert body["checks"]["redis"] == {"ok": True, "configured": False}
    outbox = body["checks"]["outbox"]
    assert outbox["ok"] and outbox["waiting"] >= 0 and outbox["oldest_seconds"] >= 0


async def test_ready_reports_an_old_backlog_and_an_unreachable_redis(client, monkeypatch):
    from datetime import UTC

    from core.db import write_transaction
    from core.jobs.outbox import enqueue
    from core.jobs.tables import OutboxJob
    from core.settings import get_settings

    async with write_transaction():
        row_id = await enqueue("purge_outbox", {}, available_at=datetime.now(UTC) - timedelta(minutes=10))
    try:
        monkeypatch.setenv("JIEFEN_REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens there
        get_settings.cache_clear()
        resp = await client.get("/health/ready")
    finally:
        get_settings.cache_clear()
        async with write_transaction():
            await OutboxJob.update({OutboxJob.status: "done"}).where(OutboxJob.id == row_id)
    assert resp.status_code == 503, resp.text
    body = resp.json()
    assert body["status"] == "unavailable" and body["checks"]["redis"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["outbox"]["waiting"] >= 1 and body["checks"]["outbox"]["oldest_seconds"] >= 590
    assert set(body) == {"status", "checks"}  # nothing about cases or people
