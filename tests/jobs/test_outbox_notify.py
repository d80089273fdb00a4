"""On PostgreSQL the workers' relays are woken by the outbox trigger's NOTIFY, not by the app:
an insert notifies at commit (a rollback does not), a relay whose poll interval is an hour
still hands a new row to Redis at once, and an app process with Redis leaves the relaying to
the workers unless told otherwise. On SQLite the app relays as before."""

from __future__ import annotations

import asyncio

import pytest

from core import db
from core.db import write_transaction
from core.jobs import relay
from core.jobs.outbox import enqueue
from core.jobs.settings import job_settings
from core.jobs.tables import OutboxJob
from tests.jobs import helpers


@pytest.fixture
def settings():
    job_settings.cache_clear()
    yield job_settings()
    job_settings.cache_clear()


def test_the_app_relays_on_sqlite_and_leaves_it_to_the_workers_on_postgresql(settings, monkeypatch) -> None:
    assert relay.app_relays() is db.is_sqlite()
    monkeypatch.setenv("JIEFEN_JOBS_APP_RELAY", "true")
    job_settings.cache_clear()
    assert relay.app_relays() is True
    monkeypatch.setenv("JIEFEN_JOBS_APP_RELAY", "false")
    job_settings.cache_clear()
    assert relay.app_relays() is False


@pytest.mark.db
async def test_an_outbox_insert_notifies_at_commit_and_a_rollback_does_not() -> None:
    if db.is_sqlite():
        pytest.skip("SQLite has no NOTIFY")
    import asyncpg

    from core.settings import get_settings

    heard: asyncio.Queue[str] = asyncio.Queue()
    listener = await asyncpg.connect(get_settings().database_url)
    try:
        await listener.add_listener(relay.CHANNEL, lambda *args: heard.put_nowait(args[2]))
        with pytest.raises(RuntimeError):
            async with write_transaction():
                await enqueue("jftest_echo", {"n": 0})
                raise RuntimeError("rolled back")
        async with write_transaction():
            await enqueue("jftest_echo", {"n": 1})
            await enqueue("jftest_echo", {"n": 2})
            await asyncio.sleep(0.2)
            assert heard.empty(), "a notification before the commit"
        assert await asyncio.wait_for(heard.get(), 10) == relay.CHANNEL
        await asyncio.sleep(0.3)
        assert heard.empty(), "one transaction, one notification (PostgreSQL folds the repeats)"
    finally:
        await listener.close()


@pytest.mark.db
@pytest.mark.redis
async def test_a_relay_that_polls_hourly_still_moves_a_new_row_at_once(settings) -> None:
    if db.is_sqlite():
        pytest.skip("SQLite has no NOTIFY")
    if not helpers.redis_available():
        pytest.skip("no Redis on 127.0.0.1:6379")
    settings.relay_interval = 3600
    await relay.use(helpers.SHARED_REDIS, helpers.new_queue())
    relay.start()
    try:
        # Let the first pass and the listener's own wake-up go by: from here only a NOTIFY wakes it.
        await asyncio.sleep(1.0)
        async with write_transaction():
            row = await enqueue("jftest_echo", {"n": 3})

        async def handed_over() -> bool:
            found = await OutboxJob.select(OutboxJob.status).where(OutboxJob.id == row).first()
            return found["status"] == "enqueued"

        await helpers.wait_until(handed_over, 30, "the relay to be woken by the NOTIFY")
    finally:
        await relay.stop()
        await relay.use(None)
