"""Every document a case produces (受理回执, 调解笔录, 调解协议书, 告知书, the 卷宗 export) from a
record whose every text field holds the compact multi-payload string: the PDF shows it as
literal text and reads no local file. (tests/documents/test_pdf_security.py covers the
templates with sample data; tests/agreements/test_pdf_safety.py the receipt and agreement with a
few payloads.)"""

from __future__ import annotations

from typing import Any

import pytest

from core.agreements.tables import DocumentRecord
from tests.agreements.helpers import prepare_town, run_jobs, sign_everything
from tests.documents.pdf_helpers import pdftotext, squash
from tests.factories import application
from tests.security import payloads as p
from tests.security.flows import agreement_body, tagged
from tests.security.test_uploads import png_bytes

pytestmark = [pytest.mark.db, pytest.mark.pdf, pytest.mark.slow]

# The parts of the compact string that survive text extraction as they are (zero-width
# characters may be dropped by pdftotext, not by us).
MARKERS = (p.SCRIPT, p.ATTR_BREAK, p.TEMPLATE, p.TEMPLATE_TAG, p.SQL_OR, p.FILE_URL, p.FORMULA_HYPERLINK, "张三<b>李四</b>&王五")
PASSWD = ("root:x:0:0", "/bin/bash", "nologin")


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    from core.ratelimit import reset_memory

    reset_memory()


def assert_literal(pdf: bytes, fields: tuple[str, ...], kind: str) -> None:
    text = squash(pdftotext(pdf))
    for marker in MARKERS:
        assert squash(marker) in text, f"{kind}: {marker!r} missing"
    for field in fields:
        assert f"{field}:" in text, f"{kind}: the {field} field is missing"
    for marker in PASSWD:
        assert marker not in text and marker.encode() not in pdf, f"{kind}: a local file was read"


async def _documents(cid: int) -> dict[str, dict[str, Any]]:
    return {r["kind"]: r for r in await DocumentRecord.select().where(DocumentRecord.case == cid)}


async def test_every_document_shows_hostile_text_literally(town, login) -> None:
    await prepare_town(town, login)
    t = tagged(p.COMPACT)
    desk = await login(town.users["window"])
    parties = [
        {"name": t("applicant", 120), "role": "applicant", "phone": "13800138002", "address": t("address", 255)},
        {"name": t("company", 120), "role": "respondent", "kind": "company", "address": t("company_address", 255)},
    ]
    body = application(town, accept_now=True, rights_notified=True, consent=True, description=t("description", 4000), title=t("title", 200), parties=parties)
    cid = (await desk.post("/api/v1/cases", json=body)).json()["id"]
    up = await desk.post(f"/api/v1/cases/{cid}/evidence", files={"file": (f"{p.PATH_UP}{p.SCRIPT}.png", png_bytes(7), "image/png")},
                         data={"description": t("material", 255)})
    assert up.status_code == 201, up.text
    await desk.act(cid, "dispatch", mediator_id=town.mediators[0]["id"])
    mediator = await login(town.users["mediator0"])
    await mediator.act(cid, "take")
    sid = (await mediator.act(cid, "schedule_session", scheduled_at="2026-12-01T10:00:00+08:00", place=t("place", 200),
                              attendees=[t("attendee", 120)]))["event"]["payload"]["session_id"]
    await mediator.act(cid, "record_session", session_id=sid, record=t("record", 4000))
    aid = (await mediator.act(cid, "draft_agreement", **agreement_body(t)))["event"]["payload"]["agreement_id"]
    await mediator.act(cid, "finalise_agreement", agreement_id=aid)
    await sign_everything(mediator, aid)
    await mediator.act(cid, "follow_up", result=t("follow_result", 4000), comment=t("follow_comment", 4000), performed=True, rating=4)
    await mediator.act(cid, "note", text=t("note", 4000))
    # a second case that fails: its 告知书
    parties = [{"name": t("applicant", 120), "role": "applicant", "address": t("address", 255)},
               {"name": t("company", 120), "role": "respondent", "kind": "company"}]
    failed = (await desk.post("/api/v1/cases", json=application(town, accept_now=True, rights_notified=True, consent=True, parties=parties))).json()["id"]
    await desk.act(failed, "dispatch", mediator_id=town.mediators[0]["id"])
    await mediator.act(failed, "take")
    await mediator.act(failed, "fail", advice="other", detail=t("detail", 4000), note=t("reason", 4000))
    await run_jobs()

    docs = await _documents(cid)
    assert {"receipt", "record", "agreement"} <= set(docs), docs.keys()
    expected = {
        "receipt": ("applicant", "company", "description", "material"),
        "record": ("place", "attendee", "record"),
        "agreement": ("applicant", "company", "facts", "matters", "responsibilities", "obligor", "what", "how", "where", "performance"),
    }
    for kind, fields in expected.items():
        pdf = (await mediator.get(f"/api/v1/documents/{docs[kind]['id']}")).content
        assert pdf.startswith(b"%PDF-"), kind
        assert_literal(pdf, fields, kind)

    export = (await mediator.post(f"/api/v1/cases/{cid}/case-file")).json()
    await run_jobs()
    status = (await mediator.get(f"/api/v1/case-files/{export['id']}")).json()
    assert status["status"] == "done", status
    bundle = (await mediator.get(f"/api/v1/documents/{status['document_id']}")).content
    assert_literal(bundle, ("description", "record", "facts", "follow_result"), "case_file")

    notice = (await _documents(failed))["failure_notice"]
    pdf = (await mediator.get(f"/api/v1/documents/{notice['id']}")).content
    assert_literal(pdf, ("applicant", "company", "detail", "reason"), "failure_notice")
