"""Markup and local-file URLs typed into a case come out of its documents as literal text."""

from __future__ import annotations

import pytest

from core.agreements.tables import DocumentRecord
from tests.agreements.helpers import (
    AGREEMENT,
    case_in_mediation,
    final_agreement,
    prepare_town,
    run_jobs,
    sign_everything,
)
from tests.documents.pdf_helpers import pdftotext, squash

pytestmark = [pytest.mark.db, pytest.mark.pdf, pytest.mark.slow]

SCRIPT = '<script>alert("x")</script>'
IMG = '<img src="file:///etc/passwd">'
LINK = '<link rel="stylesheet" href="http://127.0.0.1:9/x.css">'


async def test_hostile_text_is_literal_in_receipt_agreement_and_sign_page(town, login, client):
    await prepare_town(town, login)
    parties = [
        {"name": f"张三{SCRIPT}", "role": "applicant", "phone": "13800138000", "address": f"东村{IMG}"},
        {"name": f"厂{IMG}", "role": "respondent", "kind": "company", "address": LINK},
    ]
    cid, _desk, mediator = await case_in_mediation(town, login, description=f"拖欠工资{SCRIPT}{IMG}", parties=parties)
    terms = [{"obligor": f"厂{IMG}", "obligee": f"张三{SCRIPT}", "what": f"支付{SCRIPT}", "how": IMG, "where": LINK, "amount": "100"}]
    aid = await final_agreement(mediator, cid, facts=f"事实{IMG}", matters=SCRIPT, responsibilities=LINK, terms=terms, performance=IMG)
    status = (await mediator.get(f"/api/v1/agreements/{aid}/signatures")).json()
    party_id = next(r["party_id"] for r in status["required"] if r["kind"] == "party")
    link = (await mediator.post(f"/api/v1/agreements/{aid}/sign-links", json={"party_id": party_id})).json()
    page = (await client.get(link["path"])).text
    assert "&lt;script&gt;" in page and SCRIPT not in page and IMG not in page

    await sign_everything(mediator, aid)
    await run_jobs()
    rows = {r["kind"]: r for r in await DocumentRecord.select().where(DocumentRecord.case == cid)}
    assert {"receipt", "agreement"} <= set(rows)
    for kind in ("receipt", "agreement"):
        pdf = (await mediator.get(f"/api/v1/documents/{rows[kind]['id']}")).content
        text = squash(pdftotext(pdf))
        assert squash(SCRIPT) in text, kind
        assert squash(IMG) in text, kind
        assert "root:x:0:0" not in text and b"root:x:0:0" not in pdf, "no local file was read"
        if kind == "agreement":
            assert squash(LINK) in text
    assert AGREEMENT["facts"]  # the helper's defaults were overridden above
