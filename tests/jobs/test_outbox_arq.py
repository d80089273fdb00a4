"""The outbox with a real Redis and a real ``jiefen worker``: enqueued once per row, a job
whose worker was killed completes later, jobs Redis lost are sent again. The fault scenarios
under load (Redis or PostgreSQL restarted, a worker killed mid-render) are in tests/faults/."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections import Counter

import pytest

from core.db import write_transaction
from core.jobs import relay
from core.jobs.outbox import enqueue
from core.jobs.tables import OutboxJob
from tests.faults.helpers import port
from tests.jobs import helpers

pytestmark = [pytest.mark.db, pytest.mark.redis, pytest.mark.slow]


@pytest.fixture(autouse=True)
def _needs_redis() -> None:
    if not helpers.redis_available():
        pytest.skip("no Redis on 127.0.0.1:6379")


@pytest.fixture
async def plugin():
    with helpers.test_plugin() as module:
        yield module


async def _rows(job: str, ids: list[int]) -> list[dict]:
    return await OutboxJob.select().where((OutboxJob.job == job) & OutboxJob.id.is_in(ids)).order_by(OutboxJob.id)


async def _echo_rows(marks: str, n: int) -> list[int]:
    ids = []
    async with write_transaction():
        for i in range(n):
            ids.append(await enqueue("jftest_echo", {"marks": marks, "n": i}))
    return ids


async def test_each_row_is_enqueued_once(plugin):
    from arq import create_pool
    from arq.connections import RedisSettings

    queue, marks = helpers.new_queue(), helpers.temp_file("jf-marks-")
    await relay.use(helpers.SHARED_REDIS, queue)
    try:
        ids = await _echo_rows(marks, 20)
        # Three relays at once (three app processes), then a forced resend of every row.
        await asyncio.gather(relay.relay_once(), relay.relay_once(), relay.relay_once())
        async with write_transaction():
            await OutboxJob.update({OutboxJob.status: "pending"}).where(OutboxJob.id.is_in(ids))
        await relay.relay_once()
        redis = await create_pool(RedisSettings.from_dsn(helpers.SHARED_REDIS))
        try:
            queued = [q.decode() for q in await redis.zrange(queue, 0, -1)]
            # (Rows other tests left pending go along; ours are each queued, under their id.)
            assert {relay.arq_job_id(i, queue) for i in ids} <= set(queued)
            assert await redis.exists(*[f"arq:job:{relay.arq_job_id(i, queue)}" for i in ids]) == len(ids)
        finally:
            await redis.aclose()
        assert {r["status"] for r in await _rows("jftest_echo", ids)} == {"enqueued"}

        worker = helpers.Worker(helpers.SHARED_REDIS, queue).start()
        try:
            async def all_done() -> bool:
                return {r["status"] for r in await _rows("jftest_echo", ids)} == {"done"}

            await helpers.wait_until(all_done, 60, "the echo jobs")
        finally:
            worker.stop()
        runs = Counter(helpers.lines(marks))
        assert len(runs) == 20 and set(runs.values()) == {1}, runs
        assert {r["attempts"] for r in await _rows("jftest_echo", ids)} == {1}
    finally:
        await relay.use(None)


# Redis stopped and started under intake load: tests/faults/test_redis_restart.py.


async def test_worker_killed_mid_job_completes_later(plugin):
    queue, marks = helpers.new_queue(), helpers.temp_file("jf-marks-")
    await relay.use(helpers.SHARED_REDIS, queue)
    # A short timeout so the killed job's "in progress" mark lapses in 2 + 10 s.
    first = helpers.Worker(helpers.SHARED_REDIS, queue, JIEFEN_JOBS_TIMEOUT="2").start()
    second = helpers.Worker(helpers.SHARED_REDIS, queue, JIEFEN_JOBS_TIMEOUT="2")
    try:
        async with write_transaction():
            row_id = await enqueue("jftest_slow", {"marks": marks, "n": 1, "seconds": 1.5})
        await relay.relay_once()

        async def started() -> bool:
            return "start 1" in helpers.lines(marks)

        await helpers.wait_until(started, 30, "the slow job to start")
        first.kill()
        assert helpers.lines(marks) == ["start 1"]
        assert (await OutboxJob.select(OutboxJob.status).where(OutboxJob.id == row_id).first())["status"] == "running"
        second.start()

        async def done() -> bool:
            row = await OutboxJob.select(OutboxJob.status).where(OutboxJob.id == row_id).first()
            return row["status"] == "done"

        try:
            await helpers.wait_until(done, 60, "the killed job to complete")
        except AssertionError:
            raise AssertionError(second.output()) from None
        assert helpers.lines(marks) == ["start 1", "start 1", "done 1"]
        row = await OutboxJob.select().where(OutboxJob.id == row_id).first()
        assert row["attempts"] == 2
    finally:
        first.stop()
        second.stop()
        await relay.use(None)


async def test_jobs_lost_by_redis_are_sent_again(plugin):
    """Redis restarted without persistence forgets its queue; the relay sends the rows again."""
    # A free port: the fault tests' own Redis may be on 6391 on the other xdist worker.
    server, queue, marks = helpers.RedisServer(port(6392)), helpers.new_queue(), helpers.temp_file("jf-marks-")
    server.start()
    await relay.use(server.url, queue)
    worker = None
    try:
        ids = await _echo_rows(marks, 5)
        assert await relay.relay_once() >= 5
        server.stop()
        server.start()  # the queue is gone
        worker = helpers.Worker(server.url, queue, JIEFEN_JOBS_RESEND_AFTER="2").start()

        async def all_done() -> bool:
            return {r["status"] for r in await _rows("jftest_echo", ids)} == {"done"}

        try:
            await helpers.wait_until(all_done, 60, "the lost jobs to be sent again")
        except AssertionError:
            raise AssertionError(worker.output()) from None
        assert sorted(helpers.lines(marks)) == sorted(f"ran {i}" for i in range(5))
    finally:
        if worker:
            worker.stop()
        server.stop()
        await relay.use(None)


async def test_a_relay_killed_before_redis_took_its_rows_leaves_them_to_the_next(plugin):
    """A worker killed mid-pass (claimed, not yet in Redis): on PostgreSQL the claim commits only
    with the hand-over, so the rows are pending again at once, not stranded for ``resend_after``."""
    import socket
    import subprocess
    import sys
    import threading

    from core.db import is_sqlite

    if is_sqlite():
        pytest.skip("on SQLite the app relays in process: a killed app is the killed relay")
    # A "Redis" that takes the connection and never answers: the relay hangs inside its pass.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    accepted = threading.Event()
    held: list[socket.socket] = []

    def hold() -> None:
        with contextlib.suppress(OSError):
            held.append(silent.accept()[0])
            accepted.set()

    threading.Thread(target=hold, daemon=True).start()
    ids = await _echo_rows(helpers.temp_file("jf-marks-"), 3)
    boot = (
        "import asyncio, sys\n"
        "from core import db\n"
        "from core.jobs import relay\n"
        "async def main():\n"
        "    await db.startup()\n"
        "    await relay.use(sys.argv[1], sys.argv[2])\n"
        "    await relay.relay_once()\n"
        "asyncio.run(main())\n"
    )
    url = f"redis://127.0.0.1:{silent.getsockname()[1]}/0"
    proc = subprocess.Popen([sys.executable, "-c", boot, url, helpers.new_queue()], cwd=helpers.ROOT, env=dict(os.environ))
    try:
        assert await asyncio.to_thread(accepted.wait, 60), "the relay never reached Redis"
        # Now inside the pass: our rows are claimed, uncommitted; nobody else sees a claim.
        assert {r["status"] for r in await _rows("jftest_echo", ids)} == {"pending"}
        proc.kill()
        proc.wait(10)

        async def claim_undone() -> bool:
            # PostgreSQL rolls the claim back when the killed process's connection drops.
            return not await OutboxJob.exists().where(OutboxJob.id.is_in(ids) & (OutboxJob.status != "pending"))

        await helpers.wait_until(claim_undone, 30, "the dead relay's claim to roll back")
        await relay.use(helpers.SHARED_REDIS, helpers.new_queue())
        await relay.relay_once()
        assert {r["status"] for r in await _rows("jftest_echo", ids)} == {"enqueued"}
    finally:
        if proc.poll() is None:
            proc.kill()
        for conn in held:
            conn.close()
        silent.close()
        await relay.use(None)
