"""The receipt, the session record and the failure notice as jobs on their events; plugins'
sections; towns without a key; the case file bundle."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any

import pytest

from core import hookimpl
from core.agreements.tables import CaseFileExport, DocumentRecord
from core.jobs.tables import OutboxJob
from core.orgs.tables import PluginSwitch
from tests.agreements.helpers import (
    case_in_mediation,
    final_agreement,
    prepare_town,
    run_jobs,
    sign_everything,
)
from tests.documents.pdf_helpers import page_count, pdftotext, squash
from tests.factories import application, make_town

pytestmark = [pytest.mark.db, pytest.mark.pdf, pytest.mark.slow]


class TownSection:
    """A town's plugin adding a section to every document (off unless switched on)."""

    DEFAULT_ENABLED = False

    @hookimpl
    def document_sections(self, document: str, case: dict[str, Any]) -> list[dict[str, Any]]:
        from markupsafe import escape

        return [{"title": "本镇特别提示", "html": f"<p>{escape('文书种类 ' + document)} &lt;b&gt;</p>"}]


@contextmanager
def registered(plugin: Any, name: str):
    from core.plugins.manager import forget_switches, get_manager

    get_manager().register(plugin, name=name)
    forget_switches()
    try:
        yield
    finally:
        get_manager().unregister(name=name)
        forget_switches()


async def _docs(cid: int) -> dict[str, list[dict[str, Any]]]:
    rows = await DocumentRecord.select().where(DocumentRecord.case == cid).order_by(DocumentRecord.id)
    found: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        found.setdefault(r["kind"], []).append(r)
    return found


async def _pdf(api, doc_id: int) -> bytes:
    resp = await api.get(f"/api/v1/documents/{doc_id}")
    assert resp.status_code == 200, resp.text
    return resp.content


async def test_receipt_record_and_failure_notice_with_plugin_sections(town, login):
    await prepare_town(town, login)
    await PluginSwitch.insert(PluginSwitch(plugin="town_section", organisation=town.town["id"], enabled=True))
    with registered(TownSection(), "town_section"):
        cid, _desk, mediator = await case_in_mediation(town, login)
        session = await mediator.act(cid, "schedule_session", scheduled_at="2026-12-01T02:00:00Z", place="镇调解室", attendees=["张三", "厂方代表"])
        await mediator.act(cid, "record_session", session_id=session["event"]["payload"]["session_id"], record="双方陈述事实。\n厂方同意分期支付。")
        await mediator.act(cid, "fail", advice="arbitration", detail="可向县劳动人事争议仲裁委员会申请仲裁", note="双方对数额分歧较大")
        await run_jobs()
    docs = await _docs(cid)
    assert set(docs) == {"receipt", "record", "failure_notice"}

    receipt = squash(pdftotext(await _pdf(mediator, docs["receipt"][0]["id"])))
    for text in ("受理回执", "张三", "某某制衣厂", "劳动争议与欠薪", "工厂拖欠三个月工资", "本镇特别提示", "文书种类receipt<b>"):
        assert text in receipt, text
    record = squash(pdftotext(await _pdf(mediator, docs["record"][0]["id"])))
    for text in ("调解笔录", "镇调解室", "2026年12月1日10时00分", "厂方同意分期支付", "厂方代表", "调解员0"):
        assert text in record, text
    notice = squash(pdftotext(await _pdf(mediator, docs["failure_notice"][0]["id"])))
    for text in ("告知书", "双方对数额分歧较大", "县劳动人事争议仲裁委员会", "提起诉讼", "本镇特别提示"):
        assert text in notice, text

    # Another town, where the plugin is off, gets no such section.
    other = await make_town()
    await prepare_town(other, login)
    with registered(TownSection(), "town_section"):
        desk = await login(other.users["window"])
        other_cid = (await desk.post("/api/v1/cases", json=application(other, accept_now=True, rights_notified=True, consent=True))).json()["id"]
        await run_jobs()
    [other_receipt] = (await _docs(other_cid))["receipt"]
    assert "本镇特别提示" not in squash(pdftotext(await _pdf(desk, other_receipt["id"])))


async def test_without_a_key_the_receipt_is_skipped_not_failed(town, login):
    desk = await login(town.users["window"])
    cid = (await desk.post("/api/v1/cases", json=application(town, accept_now=True, rights_notified=True, consent=True))).json()["id"]
    await run_jobs()
    [job] = await OutboxJob.select().where((OutboxJob.case_id == cid) & (OutboxJob.job == "render_document"))
    assert job["status"] == "done" and job["attempts"] == 1
    assert not await DocumentRecord.exists().where(DocumentRecord.case == cid)


async def test_case_file_bundle(town, login, client):
    await prepare_town(town, login)
    cid, _desk, mediator = await case_in_mediation(town, login)
    session = await mediator.act(cid, "schedule_session", scheduled_at="2026-12-01T02:00:00Z", place="镇调解室")
    await mediator.act(cid, "record_session", session_id=session["event"]["payload"]["session_id"], record="笔录内容")
    aid = await final_agreement(mediator, cid)
    await sign_everything(mediator, aid)
    await mediator.act(cid, "follow_up", method="visit", performed=True, rating=5, result="已按期付款")
    await run_jobs()

    started = await mediator.post(f"/api/v1/cases/{cid}/case-file")
    assert started.status_code == 202 and started.json()["status"] == "pending"
    export_id = started.json()["id"]
    await run_jobs()
    status = (await mediator.get(f"/api/v1/case-files/{export_id}")).json()
    assert status["status"] == "done", status
    bundle = await _pdf(mediator, status["document_id"])
    parts = {r["kind"]: r for r in await DocumentRecord.select().where(DocumentRecord.case == cid)}
    assert set(parts) == {"receipt", "record", "agreement", "case_file"}
    text = squash(pdftotext(bundle))
    for needle in ("卷宗", "卷内目录", "受理回执", "调解笔录", "人民调解协议书", "回访记录", "已按期付款", "办理记录", "签署调解协议", "调解成功"):
        assert needle in text, needle
    inner = sum([page_count(await _pdf(mediator, parts[k]["id"])) for k in ("receipt", "record", "agreement")])
    assert page_count(bundle) >= inner + 2  # the index and the appendix
    verdict = (await client.post("/api/v1/public/verify", files={"file": ("f.pdf", bundle, "application/pdf")})).json()
    assert verdict["intact"] and verdict["matches_record"] and verdict["document"]["kind"] == "case_file"
    assert await CaseFileExport.count().where(CaseFileExport.case == cid) == 1
    import subprocess

    from tests.documents.pdf_helpers import ARTIFACTS

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", "-singlefile", "-", str(ARTIFACTS / "case-file-index")], input=bundle, check=True)
    outsider = await login(town.users["handler"])
    assert (await outsider.post(f"/api/v1/cases/{cid}/case-file")).status_code == 404
