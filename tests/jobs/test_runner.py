"""The in-process runner (no Redis): the same guarantees as the arq worker."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from core.db import write_transaction
from core.jobs import runner
from core.jobs.outbox import enqueue
from core.jobs.tables import OutboxJob
from tests.jobs import helpers

pytestmark = pytest.mark.db


@pytest.fixture
def plugin():
    with helpers.test_plugin() as module:
        yield module


async def test_concurrent_runners_run_each_row_once(plugin):
    marks = helpers.temp_file("jf-marks-")
    async with write_transaction():
        ids = [await enqueue("jftest_echo", {"marks": marks, "n": i}) for i in range(15)]
    await asyncio.gather(runner.drain(), runner.drain(), runner.drain())
    runs = Counter(helpers.lines(marks))
    assert len(runs) == 15 and set(runs.values()) == {1}
    rows = await OutboxJob.select().where(OutboxJob.id.is_in(ids))
    assert {(r["status"], r["attempts"]) for r in rows} == {("done", 1)}


async def test_dedupe_key_writes_a_job_once():
    async with write_transaction():
        first = await enqueue("jftest_echo", {"n": 1}, dedupe_key="test:once:1")
        second = await enqueue("jftest_echo", {"n": 1}, dedupe_key="test:once:1")
    assert first and second is None
    await OutboxJob.delete().where(OutboxJob.id == first)


async def test_runner_killed_mid_job_is_taken_again(plugin):
    """A runner died after claiming (the row stays running): after the stale-claim time
    another runner takes it and it completes."""
    marks = helpers.temp_file("jf-marks-")
    async with write_transaction():
        row_id = await enqueue("jftest_slow", {"marks": marks, "n": 7, "seconds": 0})
    claimed = await runner.claim_due(limit=1000)
    assert row_id in [r["id"] for r in claimed]
    # ... the process dies here; others it claimed go back to the queue for this test.
    others = [r["id"] for r in claimed if r["id"] != row_id]
    await OutboxJob.update({OutboxJob.status: "pending"}).where(OutboxJob.id.is_in(others or [-1]))
    await runner.drain()
    assert (await OutboxJob.select(OutboxJob.status).where(OutboxJob.id == row_id).first())["status"] == "running"
    long_ago = datetime.now(UTC) - timedelta(hours=1)
    await OutboxJob.update({OutboxJob.started_at: long_ago}).where(OutboxJob.id == row_id)
    await runner.drain()
    row = await OutboxJob.select().where(OutboxJob.id == row_id).first()
    assert row["status"] == "done" and row["attempts"] == 2
    assert helpers.lines(marks) == ["start 7", "done 7"]


async def test_failed_job_backs_off_then_fails_for_good():
    from core.jobs.registry import JOBS

    calls = []

    async def broken(payload):
        calls.append(1)
        raise RuntimeError("provider down")

    JOBS["jftest_broken"] = broken
    try:
        async with write_transaction():
            row_id = await enqueue("jftest_broken", {})
        for _ in range(10):
            await OutboxJob.update({OutboxJob.available_at: datetime.now(UTC)}).where(
                (OutboxJob.id == row_id) & (OutboxJob.status == "pending")
            )
            await runner.drain()
        row = await OutboxJob.select().where(OutboxJob.id == row_id).first()
        assert row["status"] == "failed" and "provider down" in row["last_error"]
        assert len(calls) == row["attempts"] == 5
    finally:
        del JOBS["jftest_broken"]


async def test_cron_slot_fires_once_across_tickers():
    from core.jobs import cron

    entry = cron.CronEntry("jftest_tick", "jftest_echo", minute=frozenset({7}))
    slot = datetime(2026, 3, 2, 1, 7, tzinfo=UTC)  # 09:07 in Shanghai
    assert entry.matches(slot.astimezone(cron.get_settings().zone))
    first = await cron.fire(entry, slot)
    again = await cron.fire(entry, slot)  # another process, same minute
    assert first and again is None
    await OutboxJob.delete().where(OutboxJob.id == first)


@pytest.fixture
def short_job_timeout(monkeypatch):
    from core.jobs.settings import job_settings

    monkeypatch.setenv("JIEFEN_JOBS_TIMEOUT", "0.5")
    job_settings.cache_clear()
    yield
    monkeypatch.undo()
    job_settings.cache_clear()


async def test_a_job_past_the_timeout_is_cancelled_and_retried_later(plugin, short_job_timeout):
    marks = helpers.temp_file("jf-marks-")
    async with write_transaction():
        stuck = await enqueue("jftest_slow", {"marks": marks, "n": 1, "seconds": 30})
        after = await enqueue("jftest_echo", {"marks": marks, "n": 2})

    ran = await asyncio.wait_for(runner.drain(), 20)

    assert ran == 2
    assert helpers.lines(marks) == ["start 1", "ran 2"]  # cancelled, and the queue went on
    row = await OutboxJob.select().where(OutboxJob.id == stuck).first()
    assert row["status"] == "pending" and row["attempts"] == 1 and row["available_at"] > datetime.now(UTC)
    assert "Timeout" in row["last_error"]
    assert (await OutboxJob.select(OutboxJob.status).where(OutboxJob.id == after).first())["status"] == "done"
