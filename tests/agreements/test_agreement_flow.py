"""A real case's written agreement from draft to a signed, verifiable PDF, through the API."""

from __future__ import annotations

import io
import subprocess

import pytest

from core.agreements.tables import AgreementSignature, DocumentRecord
from core.audit.tables import AccessLog
from core.cases.tables import Agreement, CaseEvent
from tests.agreements.helpers import (
    AGREEMENT,
    case_in_mediation,
    final_agreement,
    pad,
    prepare_town,
    run_jobs,
    sign_everything,
    sign_party_by_link,
)
from tests.documents.pdf_helpers import ARTIFACTS, pdftotext, squash

pytestmark = [pytest.mark.db, pytest.mark.pdf, pytest.mark.slow]

REQUIRED_SECTIONS = ("人民调解协议书", "当事人基本情况", "纠纷主要事实", "争议事项", "各方责任", "达成协议内容", "履行方式、地点、期限", "协议生效与份数", "核验码")


async def test_written_agreement_signed_effective_and_verifiable(town, login, client):
    await prepare_town(town, login)
    cid, desk, mediator = await case_in_mediation(town, login)

    # Revisions are kept; finalising freezes one with its SHA-256.
    first = await mediator.act(cid, "draft_agreement", **{**AGREEMENT, "facts": "初稿"})
    aid = await final_agreement(mediator, cid)
    revisions = (await mediator.get(f"/api/v1/cases/{cid}/agreements")).json()["items"]
    assert [(r["revision"], r["status"]) for r in revisions] == [(2, "final"), (1, "superseded")]
    assert revisions[1]["id"] == first["event"]["payload"]["agreement_id"]
    assert len(revisions[0]["content_sha256"]) == 64

    status = (await mediator.get(f"/api/v1/agreements/{aid}/signatures")).json()
    kinds = [r["kind"] for r in status["required"]]
    assert kinds == ["party", "party", "mediator", "seal"] and status["collected"] == 0
    assert {r["name"] for r in status["required"] if r["kind"] == "party"} == {"张三", "某某制衣厂"}

    # Not signed yet: agree with the written agreement is refused; the case stays in mediation.
    refused = await mediator.post(f"/api/v1/cases/{cid}/actions/agree", json={"agreement_id": aid})
    assert refused.status_code == 409 and "签名" in refused.json()["detail"]

    applicant = next(r for r in status["required"] if r["name"] == "张三")
    partial = await sign_party_by_link(mediator, aid, applicant["party_id"], seed="张三")
    assert partial == {"collected": 1, "required": 4, "effective": False}
    again = await mediator.post(f"/api/v1/agreements/{aid}/signatures", json={"signer": "party", "party_id": applicant["party_id"], "image": pad()})
    assert again.status_code == 409
    case = (await mediator.get(f"/api/v1/cases/{cid}")).json()
    assert case["state"] == "in_mediation"

    last = await sign_everything(mediator, aid)
    assert last["effective"] is True and last["collected"] == last["required"] == 4
    case = (await mediator.get(f"/api/v1/cases/{cid}")).json()
    assert case["state"] == "agreed"
    row = await Agreement.select().where(Agreement.id == aid).first()
    assert row["status"] == "effective" and row["effective_at"] is not None

    events = await CaseEvent.select().where(CaseEvent.case == cid).order_by(CaseEvent.seq).output(load_json=True)
    names = [e["name"] for e in events]
    assert names.count("sign_agreement") == 4 and names[-1] == "agree"
    agree = events[-1]
    assert agree["payload"]["agreement_id"] == aid and agree["payload"]["form"] == "written"
    assert agree["at"] == row["effective_at"], "the effective moment is the agree event"
    for e in events:
        if e["name"] == "sign_agreement":
            text = str(e["payload"])
            assert "张三" not in text and "制衣厂" not in text and "data:image" not in text
    sigs = await AgreementSignature.select().where(AgreementSignature.agreement == aid)
    by_kind = {s["signer_kind"]: s for s in sigs}
    assert by_kind["party"]["method"] == "kiosk" and by_kind["party"]["user_agent"] == "kiosk-test" and by_kind["party"]["ip"]
    assert by_kind["mediator"]["recorded_by"] == town.users["mediator0"]["id"]

    # The job renders, signs and records the final PDF.
    await run_jobs()
    docs = (await mediator.get(f"/api/v1/cases/{cid}/documents")).json()["items"]
    [doc] = [d for d in docs if d["kind"] == "agreement"]
    assert doc["has_archive"] and len(doc["verification_code"]) == 14
    resp = await mediator.get(f"/api/v1/documents/{doc['id']}")
    assert resp.status_code == 200 and resp.headers["content-type"] == "application/pdf"
    pdf = resp.content
    assert await AccessLog.exists().where((AccessLog.case_id == cid) & (AccessLog.what == f"document.{doc['id']}"))
    record = await DocumentRecord.select().where(DocumentRecord.id == doc["id"]).first()
    import hashlib

    assert hashlib.sha256(pdf).hexdigest() == record["sha256"]
    assert "issue_document" in [e["name"] for e in await CaseEvent.select(CaseEvent.name).where(CaseEvent.case == cid)]

    text = squash(pdftotext(pdf))
    for section in REQUIRED_SECTIONS:
        assert section in text, section
    for name in ("张三", "某某制衣厂", "调解员0", town.committee["name"]):
        assert name in text, name
    assert case["number"] in text and doc["verification_code"] in text
    assert "36,000.00" in text and "叁万陆仟元整" in text

    fonts = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    cjk = [line for line in fonts.splitlines() if "CJK" in line]
    assert cjk and all(" yes yes " in f" {' '.join(line.split()[-5:])} " for line in cjk), fonts
    assert all("+" in line.split()[0] for line in cjk), "subset fonts are named ABCDEF+Name"

    from core.agreements.keys import trust_roots
    from core.documents.verify import verify_pdf

    checked = await verify_pdf(pdf, trust_roots())
    assert checked.ok, checked.problems
    assert checked.signer_name == town.committee["name"]

    # Public verification: by code, by the file, and a flipped byte fails.
    by_code = await client.get(f"/api/v1/public/verify/{doc['verification_code'].lower()}")
    body = by_code.json()
    assert body["found"] and body["intact"] and body["matches_record"]
    assert body["document"]["case_number"] == case["number"] and body["document"]["kind"] == "agreement"
    assert "张三" not in by_code.text and "13800138000" not in by_code.text
    upload = await client.post("/api/v1/public/verify", files={"file": ("a.pdf", pdf, "application/pdf")})
    assert upload.json()["intact"] and upload.json()["matches_record"]
    tampered = bytearray(pdf)
    at = pdf.index(b"stream\n", len(pdf) // 10) + 47
    tampered[at] ^= 0x01
    bad = (await client.post("/api/v1/public/verify", content=bytes(tampered), headers={"Content-Type": "application/pdf"})).json()
    assert bad["intact"] is False and bad["matches_record"] is False and bad["problems"]
    page = await client.get(f"/verify/{doc['verification_code']}")
    assert page.status_code == 200 and "核验通过" in page.text and "张三" not in page.text

    archive = await mediator.get(f"/api/v1/documents/{doc['id']}?copy=archive")
    assert archive.status_code == 200
    import pypdf

    xmp = pypdf.PdfReader(io.BytesIO(archive.content)).trailer["/Root"]["/Metadata"].get_data()
    assert b'pdfaid:part="3"' in xmp
    assert (await verify_pdf(archive.content, trust_roots())).ok

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    # Page 1 (the text) and the last page (signatures, seal, QR code), for a person to look at.
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-", str(ARTIFACTS / "agreement-case")], input=pdf, check=True)
    pages = sorted(ARTIFACTS.glob("agreement-case-*.png"))
    assert len(pages) >= 2 and all(p.stat().st_size > 10_000 for p in pages)
