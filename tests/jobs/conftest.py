"""Backends for the job tests: the in-process runner, or a real arq worker on Redis."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.jobs import helpers


class Backend:
    """Runs every due job to the end, the way the deployment would."""

    name = "inprocess"

    async def run_all(self, timeout: float = 60) -> None:
        from core.jobs.runner import drain

        while await drain():
            pass


class ArqBackend(Backend):
    name = "arq"

    def __init__(self, worker: helpers.Worker, baseline: int):
        self.worker, self.baseline = worker, baseline

    async def run_all(self, timeout: float = 60) -> None:
        from datetime import UTC, datetime

        from core.jobs import relay
        from core.jobs.tables import OutboxJob

        def busy() -> object:
            return OutboxJob.select(OutboxJob.id, OutboxJob.job, OutboxJob.status, OutboxJob.attempts, OutboxJob.last_error).where(
                (OutboxJob.id > self.baseline)
                & (OutboxJob.status.is_in(["enqueued", "running"]) | ((OutboxJob.status == "pending") & (OutboxJob.available_at <= datetime.now(UTC))))
            )

        async def settled() -> bool:
            await relay.relay_once()
            return not await busy()

        try:
            await helpers.wait_until(settled, timeout, "the worker to run every job")
        except AssertionError:
            left = await busy()
            raise AssertionError(f"jobs did not settle: {left}\nworker log:\n" + self.worker.output(dump=True)) from None


@pytest.fixture(autouse=True)
def _fresh_login_limit():
    """These tests sign in often; keep them from using up the next tests' login budget."""
    from core.ratelimit import reset_memory

    reset_memory()
    yield
    reset_memory()


@pytest.fixture(scope="module")
async def sent_file() -> str:
    path = helpers.temp_file("jf-sent-")
    os.environ["JFTEST_SENT_FILE"] = path
    yield path
    os.environ.pop("JFTEST_SENT_FILE", None)


@pytest.fixture(scope="module", params=["inprocess", "arq"])
async def backend(request: Any, sent_file: str) -> AsyncIterator[Backend]:
    from core.jobs import relay
    from core.jobs.tables import OutboxJob

    with helpers.test_plugin():
        if request.param == "inprocess":
            yield Backend()
            return
        if not helpers.redis_available():
            pytest.skip("no Redis on 127.0.0.1:6379")
        queue = helpers.new_queue()
        last = await OutboxJob.select(OutboxJob.id).order_by(OutboxJob.id, ascending=False).first()
        worker = helpers.Worker(helpers.SHARED_REDIS, queue).start()
        await relay.use(helpers.SHARED_REDIS, queue)
        try:
            yield ArqBackend(worker, last["id"] if last else 0)
        finally:
            worker.stop()
            await relay.use(None)
