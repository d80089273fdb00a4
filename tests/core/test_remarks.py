"""Text people type into actions (a note, a reason …) is kept beside the timeline, in
``case_remark``, with only its digest in the hashed payload: readers see it as before,
retention can blank it without breaking the chain, and a changed text is caught."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from core import clock
from core.cases.tables import Case, CaseEvent, CaseRemark
from core.cases.timeline import load_events, remark_digest, verify_chain
from core.db import write_transaction
from core.privacy import retention
from tests.core.helpers import rolled_back
from tests.factories import application
from tests.privacy.helpers import jobs_long_run
from tests.web.conftest import sign_in

pytestmark = pytest.mark.db


async def withdrawn_case(town, login) -> tuple[int, str]:
    """A case with a typed note and a typed reason; withdrawn, so retention may take it."""
    marker = "私密" + uuid.uuid4().hex[:10]
    desk = await login(town.users["window"])
    cid = (await desk.post("/api/v1/cases", json=application(town))).json()["id"]
    await desk.act(cid, "note", text=f"<b>记录</b>{marker}")
    await desk.act(cid, "withdraw", reason=f"申请人撤回:{marker}")
    return cid, marker


async def test_typed_text_is_beside_the_chain_and_reads_back(client, town, login):
    cid, marker = await withdrawn_case(town, login)
    raw = await load_events(cid, with_text=False)
    assert marker not in repr([e["payload"] for e in raw]), "the hashed payload holds digests only"
    stored = await CaseEvent.select(CaseEvent.payload).where(CaseEvent.case == cid)
    assert marker not in repr(stored)
    remarks = {r["field"]: r for r in await CaseRemark.select().where(CaseRemark.case == cid)}
    assert set(remarks) == {"text", "reason"} and all(marker in r["text"] for r in remarks.values())
    note = next(e for e in raw if e["name"] == "note")
    assert note["payload"]["remarks"] == {"text": remarks["text"]["sha256"]}
    assert remarks["text"]["sha256"] == remark_digest(remarks["text"]["nonce"], remarks["text"]["text"])

    desk = await login(town.users["window"])
    items = (await desk.get(f"/api/v1/cases/{cid}/timeline")).json()["items"]
    by_name = {i["name"]: i["payload"] for i in items}
    assert by_name["note"] == {"text": f"<b>记录</b>{marker}"}, "the API shows the payload as it was given"
    assert by_name["withdraw"]["reason"] == f"申请人撤回:{marker}"
    page = await (await sign_in(client, town.users["window"])).get(f"/admin/cases/{cid}")
    assert page.status_code == 200 and f"申请人撤回:{marker}" in page.text and f"&lt;b&gt;记录&lt;/b&gt;{marker}" in page.text
    assert (await verify_chain(cid)).intact


async def test_retention_blanks_the_text_and_the_chain_still_verifies(client, town, login):
    cid, marker = await withdrawn_case(town, login)
    years_ago = datetime.now(UTC) - timedelta(days=4 * 365)
    await Case.update({Case.submitted_at: years_ago, Case.closed_at: years_ago}).where(Case.id == cid)
    await jobs_long_run(cid)
    done = await retention.run(before=clock.today() + timedelta(days=1), town_id=town.town["id"])
    assert cid in done.anonymised, done.failed
    remarks = await CaseRemark.select().where(CaseRemark.case == cid)
    assert len(remarks) == 2 and all(r["text"] == retention.REDACTED and r["nonce"] == "" for r in remarks)
    assert marker not in repr(await CaseEvent.select().where(CaseEvent.case == cid))
    assert (await verify_chain(cid)).intact
    supervisor = await login(town.users["supervisor"])
    items = (await supervisor.get(f"/api/v1/cases/{cid}/timeline")).json()["items"]
    assert marker not in repr(items) and next(i for i in items if i["name"] == "note")["payload"]["text"] == retention.REDACTED


async def test_a_changed_or_blanked_remark_is_caught(town, login):
    cid, _ = await withdrawn_case(town, login)
    seq = next(e["seq"] for e in await load_events(cid) if e["name"] == "note")
    async with rolled_back():
        await CaseRemark.update({CaseRemark.text: "改过的记录"}).where((CaseRemark.case == cid) & (CaseRemark.field == "text"))
        report = await verify_chain(cid)
        assert not report.intact and report.first_bad_seq == seq and "does not match" in report.problem
    async with rolled_back():
        # Blanking like retention does, on a case that was never anonymised.
        await CaseRemark.update({CaseRemark.text: retention.REDACTED, CaseRemark.nonce: ""}).where(CaseRemark.case == cid)
        report = await verify_chain(cid)
        assert not report.intact and "blanked outside retention" in report.problem
    async with rolled_back():
        await CaseRemark.delete().where((CaseRemark.case == cid) & (CaseRemark.field == "text"))
        report = await verify_chain(cid)
        assert not report.intact and report.first_bad_seq == seq and "missing" in report.problem
    assert (await verify_chain(cid)).intact


async def test_events_written_before_the_side_table_still_read_and_verify(town, login):
    """An old event carries its text in the payload: it verifies and reads as it is."""
    from core.actors import SYSTEM
    from core.cases.timeline import event_hash

    cid, marker = await withdrawn_case(town, login)
    async with write_transaction():
        # The shape written before: text inline, no remarks map.
        legacy = {"text": f"旧记录{marker}"}
        last = await CaseEvent.select().where(CaseEvent.case == cid).order_by(CaseEvent.seq, ascending=False).first()
        at = datetime.now(UTC)
        digest = event_hash(
            case_id=cid, seq=last["seq"] + 1, name="note", from_state="withdrawn", to_state="withdrawn",
            actor_id=None, actor_label=SYSTEM.label, at=at, payload=legacy, prev_hash=last["hash"],
        )
        await CaseEvent.insert(CaseEvent(
            case=cid, seq=last["seq"] + 1, name="note", from_state="withdrawn", to_state="withdrawn", actor=None,
            actor_label=SYSTEM.label, at=at, payload=legacy, prev_hash=last["hash"], hash=digest,
        ))
        await Case.update({Case.version: Case.version + 1}).where(Case.id == cid)
    assert (await verify_chain(cid)).intact
    assert (await load_events(cid))[-1]["payload"] == legacy
