"""A ``jiefen worker`` SIGKILLed in the middle of a long job (the signed PDF receipt of an
acceptance); a second worker takes the job once arq's in-progress mark lapses. The generic
mechanism (a toy job, marks in a file) is tests/jobs/test_outbox_arq.py; here the real job.

Asserted: the intake acknowledged before the kill is stored once, the receipt is issued
exactly once (one record, one PDF on disk, readable, with the case's content) although it
ran twice, every other job of the case ran and each party was told once."""

from __future__ import annotations

import asyncio
import shutil
import subprocess

import pytest

from core.agreements.issue import read_document
from core.agreements.tables import DocumentRecord
from core.jobs import relay
from core.jobs.tables import OutboxJob
from tests.agreements.helpers import prepare_town
from tests.factories import application
from tests.faults import helpers as f
from tests.jobs import helpers

pytestmark = [pytest.mark.db, pytest.mark.redis, pytest.mark.slow, pytest.mark.pdf]

# A job may run this long (a cold first render on a busy machine takes seconds); arq lets
# another worker take a killed job this + 15 s after it began.
JOB_TIMEOUT = "20"


@pytest.fixture
def plugin():
    if not helpers.redis_available():
        pytest.skip("no Redis on 127.0.0.1:6379")
    with helpers.test_plugin() as module:
        yield module


async def test_worker_killed_while_rendering_a_receipt(plugin, town, login, sent_file):
    from core.agreements.settings import storage_root
    from tests.notifications.helpers import no_quiet_hours

    await no_quiet_hours(town)
    await prepare_town(town, login)
    queue = helpers.new_queue()
    await relay.use(helpers.SHARED_REDIS, queue)
    first = helpers.Worker(helpers.SHARED_REDIS, queue, JIEFEN_JOBS_TIMEOUT=JOB_TIMEOUT).start()
    second = helpers.Worker(helpers.SHARED_REDIS, queue, JIEFEN_JOBS_TIMEOUT=JOB_TIMEOUT)
    try:
        desk = await login(town.users["window"])
        key = f.new_key()
        body = application(town, description=f"杀进程测试 {key}", accept_now=True, rights_notified=True, consent=True)
        resp = await desk.post("/api/v1/cases", json=body, headers={"Idempotency-Key": key})
        assert resp.status_code == 201, resp.text
        cid = resp.json()["id"]
        receipt = await OutboxJob.select(OutboxJob.id).where((OutboxJob.case_id == cid) & (OutboxJob.job == "render_document")).first()
        await relay.relay_once()

        async def rendering() -> bool:
            row = await OutboxJob.select(OutboxJob.status).where(OutboxJob.id == receipt["id"]).first()
            return row["status"] == "running"

        await helpers.wait_until(rendering, 60, "the receipt job to start")
        await asyncio.sleep(0.3)  # into WeasyPrint
        first.kill()
        assert not await DocumentRecord.exists().where(DocumentRecord.case == cid), "the render finished before the kill"
        assert (await OutboxJob.select(OutboxJob.status).where(OutboxJob.id == receipt["id"]).first())["status"] == "running"
        second.start()

        ledger = f.Ledger(acked={key: resp.json()})
        [stored] = await f.assert_stored_exactly_once(f.piccolo_fetch, ledger, lambda k: f"杀进程测试 {k}")
        await f.wait_drained(f.piccolo_fetch, [cid], 90, lambda: second.output(dump=True))
        await f.assert_jobs_ran(f.piccolo_fetch, [cid], {cid}, sent_file)
        row = await OutboxJob.select().where(OutboxJob.id == receipt["id"]).first()
        # Ran again after the kill (more than twice only if a busy machine made a try time out).
        assert row["status"] == "done" and row["attempts"] >= 2, row

        [doc] = await DocumentRecord.select().where(DocumentRecord.case == cid)
        assert doc["kind"] == "receipt" and doc["source_id"] == cid
        pdfs = sorted((storage_root() / "documents" / str(cid)).glob("receipt-*.pdf"))
        assert [p.name for p in pdfs] == [doc["storage_key"].rsplit("/", 1)[-1]], pdfs  # the killed run left no file
        assert not list((storage_root() / "documents" / str(cid)).glob("*.part"))
        pdf = read_document(doc["storage_key"])
        if shutil.which("pdftotext"):
            text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
            squashed = "".join(text.split())
            assert "受理回执" in squashed and "张三" in squashed, squashed[:300]
        assert stored == cid
    finally:
        first.stop()
        second.stop()
        await relay.use(None)
