"""The timeline is append-only in the database, and ``jiefen audit verify`` catches tampering
that gets round that (someone with the database owner's rights).

Tampering needs the append-only triggers off: inside a transaction that is rolled back for the
in-process checks, committed (and repaired afterwards) for the command-line check."""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from core.auth.service import actor_for_user
from core.cases import schemas as s
from core.cases.lifecycle import transition
from core.cases.service import create_case
from core.cases.tables import CaseEvent
from core.cases.timeline import event_hash, load_events, verify_chain
from core.db import is_sqlite, write_transaction
from tests.core.helpers import rolled_back
from tests.factories import make_town

pytestmark = pytest.mark.db
MIGRATION = importlib.import_module("core.piccolo_migrations.core_2026_11_23t09_20_00_000000")


async def case_with_history() -> int:
    town = await make_town()
    desk = await actor_for_user(town.users["window"]["id"])
    data = s.CaseIn(channel="walk_in", dispute_type="labour", description="欠薪", parties=[s.PartyIn(name="张三")])
    cid = (await create_case(data, desk, org_id=town.town["id"]))["id"]
    for text in ("原始记录", "第二条", "第三条"):
        await transition(cid, "note", desk, {"text": text})
    return cid


@asynccontextmanager
async def triggers_off() -> AsyncIterator[None]:
    """Inside the caller's transaction: what an attacker with the owner's rights would do."""
    if is_sqlite():
        await CaseEvent.raw("DROP TRIGGER case_event_no_update")
        await CaseEvent.raw("DROP TRIGGER case_event_no_delete")
        yield
        for statement in MIGRATION.SQLITE:
            await CaseEvent.raw(statement)
    else:
        await CaseEvent.raw("ALTER TABLE case_event DISABLE TRIGGER case_event_no_change")
        yield
        await CaseEvent.raw("ALTER TABLE case_event ENABLE TRIGGER case_event_no_change")


async def event(cid: int, seq: int) -> dict[str, Any]:
    """As stored and hashed (typed text as digests), so writing it back restores the event."""
    return next(e for e in await load_events(cid, with_text=False) if e["seq"] == seq)


async def test_updates_and_deletes_are_refused_by_the_database():
    cid = await case_with_history()
    ev = await event(cid, 2)
    attempts = [("UPDATE case_event SET payload = {} WHERE id = {}", "{}", ev["id"]), ("DELETE FROM case_event WHERE id = {}", ev["id"])]
    for statement, *args in attempts:
        with pytest.raises(Exception, match="append-only"):
            async with write_transaction():
                await CaseEvent.raw(statement, *args)
    assert (await verify_chain(cid)).intact
    assert (await event(cid, 2))["payload"] == ev["payload"]


async def test_changed_payload_is_caught():
    cid = await case_with_history()
    async with rolled_back(), triggers_off():
        await CaseEvent.raw("UPDATE case_event SET payload = {} WHERE \"case\" = {} AND seq = 2", json.dumps({"text": "篡改后"}), cid)
        report = await verify_chain(cid)
        assert not report.intact and report.first_bad_seq == 2 and "hash" in report.problem
    assert (await verify_chain(cid)).intact


async def test_rehashed_event_breaks_the_next_link():
    cid = await case_with_history()
    ev = await event(cid, 2)
    forged = {**ev["payload"], "text": "篡改后"}
    digest = event_hash(
        case_id=cid, seq=2, name=ev["name"], from_state=ev["from_state"], to_state=ev["to_state"], actor_id=ev["actor"],
        actor_label=ev["actor_label"], at=ev["at"], payload=forged, prev_hash=ev["prev_hash"],
    )
    async with rolled_back(), triggers_off():
        await CaseEvent.raw("UPDATE case_event SET payload = {}, hash = {} WHERE id = {}", json.dumps(forged, ensure_ascii=False), digest, ev["id"])
        report = await verify_chain(cid)
        assert not report.intact and report.first_bad_seq == 3 and "link" in report.problem


async def test_deleted_events_are_caught_in_the_middle_and_at_the_end():
    cid = await case_with_history()
    async with rolled_back(), triggers_off():
        await CaseEvent.raw("DELETE FROM case_event WHERE \"case\" = {} AND seq = 2", cid)
        report = await verify_chain(cid)
        assert not report.intact and report.first_bad_seq == 3 and "gap" in report.problem
    async with rolled_back(), triggers_off():
        await CaseEvent.raw("DELETE FROM case_event WHERE \"case\" = {} AND seq = 4", cid)
        report = await verify_chain(cid)
        assert not report.intact and report.first_bad_seq == 4 and "missing" in report.problem
    assert (await verify_chain(cid)).intact


async def jiefen(*args: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "from core.cli import main; main()", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, env={**os.environ},
    )
    out, _ = await proc.communicate()
    return proc.returncode or 0, out.decode()


@pytest.mark.slow
async def test_jiefen_audit_verify_reports_the_broken_event():
    cid = await case_with_history()
    code, out = await jiefen("audit", "verify", str(cid))
    assert code == 0 and f"case {cid}: intact (4 events)" in out, out
    original = (await event(cid, 3))["payload"]
    async with write_transaction(), triggers_off():
        await CaseEvent.raw("UPDATE case_event SET payload = {} WHERE \"case\" = {} AND seq = 3", json.dumps({"text": "改过"}), cid)
    try:
        code, out = await jiefen("audit", "verify", str(cid))
        assert code == 1 and f"case {cid}: BROKEN at event 3" in out, out
    finally:
        async with write_transaction(), triggers_off():
            await CaseEvent.raw(
                "UPDATE case_event SET payload = {} WHERE \"case\" = {} AND seq = 3", json.dumps(original, ensure_ascii=False), cid
            )
    assert (await verify_chain(cid)).intact
    with pytest.raises(Exception, match="append-only"):
        async with write_transaction():
            await CaseEvent.raw("DELETE FROM case_event WHERE \"case\" = {}", cid)
