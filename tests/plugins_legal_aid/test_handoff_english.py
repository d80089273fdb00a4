"""The handoff letter in English: rendered in the language of the staff member who hands over
(Chinese unless English), English labels around the names, facts and numbers as recorded, and
the CJK font still embedded so Chinese names print."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path
from typing import Any

import pytest

from core.auth.tables import StaffUser
from tests.documents.pdf_helpers import pdftotext, squash
from tests.plugins_legal_aid.conftest import (
    MIGRANT_WAGES,
    case_in_mediation,
    make_centre,
    party_id,
    png_bytes,
)

pytestmark = [pytest.mark.db, pytest.mark.plugin_legal_aid, pytest.mark.pdf]


def words(text: str) -> str:
    return " ".join(text.split())


async def _hand_off(api: Any, town: Any, centre: Any) -> tuple[dict[str, Any], bytes]:
    case, mediator = await case_in_mediation(
        api, town, title="制衣厂拖欠工资",
        parties=[
            {"name": "张三丰", "role": "applicant", "phone": "13800138000", "id_number": "44190019900101123X"},
            {"name": "某某制衣厂", "role": "respondent", "kind": "company", "phone": "076988888888"},
        ],
    )
    cid = case["id"]
    upload = await mediator.post(f"/api/v1/cases/{cid}/evidence", files={"file": ("工资条.png", png_bytes(), "image/png")}, data={"description": "八月工资条"})
    assert upload.status_code == 201, upload.text
    screened = await mediator.post(f"/api/v1/plugins/legal_aid/cases/{cid}/screenings", json={
        "applicants": [{"party_id": await party_id(cid), "claim_amount": "9000"},
                       {"name": "欧阳娜娜", "id_number": "441900199001011234", "phone": "13900000001", "claim_amount": "8000.00"}],
        "answers": MIGRANT_WAGES,
    })
    assert screened.status_code == 201, screened.text
    made = await mediator.post(f"/api/v1/plugins/legal_aid/cases/{cid}/handoffs", json={
        "centre_id": centre.org["id"], "screening_ids": [r["id"] for r in screened.json()], "note": "请尽快指派律师",
    })
    assert made.status_code == 201, made.text
    pdf = await mediator.get(f"/api/v1/plugins/legal_aid/cases/{cid}/handoffs/{made.json()['id']}/package.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    return case, pdf.content


async def test_handoff_letter_in_english(town: Any, api: Any, tmp_path: Path) -> None:
    centre = await make_centre(town)
    await StaffUser.update({StaffUser.locale: "en"}).where(StaffUser.id == town.mediators[0]["user"]["id"])
    case, pdf = await _hand_off(api, town, centre)
    text = pdftotext(pdf)
    flat, tight = words(text), squash(text)
    for label in (
        "Legal-aid referral letter", "registered the dispute", "Please decide by",
        "Applicants", "ID number", "Claim (yuan)", "Basis of the review", "Exempt from the means test",
        "Payment of wages", "A migrant worker claiming wages", "Total claimed: 17,000.00 yuan.",
        "Parties", "Applicant", "Respondent", "Facts of the dispute", "Type of dispute:",
        "List of evidence", "Submitted on", "Mediation so far", "Registration", "Take",
        "1. Applicants", "Page 1 of",  # the stylesheet's section numbers and page footer
    ):
        assert label in flat, label
    # No Chinese label left: only what was recorded in Chinese is.
    for chinese in ("法律援助转交函", "申请人", "身份证号码", "证据材料清单", "调解经过", "免予经济困难审查", "请求支付劳动报酬", "年",
                    "核验码", "页", "一、"):
        assert chinese not in tight, chinese
    # Names, facts, the note and the case number print as recorded, in CJK.
    for recorded in ("张三丰", "欧阳娜娜", "某某制衣厂", "制衣厂拖欠工资", "工资条.png", "八月工资条", "请尽快指派律师", case["number"]):
        assert recorded in tight, recorded
    # The CJK face is embedded (subset, with a Unicode map), so the names are real glyphs.
    path = tmp_path / "handoff.pdf"
    path.write_bytes(pdf)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    cjk = [row.split() for row in fonts.splitlines()[2:] if "CJK" in row]
    assert cjk and all(cols[-5:-2] == ["yes", "yes", "yes"] for cols in cjk), fonts
    from pypdf import PdfReader

    assert PdfReader(io.BytesIO(pdf)).trailer["/Root"].get("/Lang") == "en"  # the document says it is English


async def test_handoff_letter_stays_chinese_by_default(town: Any, api: Any) -> None:
    centre = await make_centre(town)
    _case, pdf = await _hand_off(api, town, centre)
    tight = squash(pdftotext(pdf))
    for label in ("法律援助转交函", "受理的", "身份证号码", "请求金额合计：17,000.00元。", "免予经济困难审查", "请求支付劳动报酬", "证据材料清单", "调解经过", "登记", "接单", "一、申请人", "第1页"):
        assert label in tight, label
    assert "Legal-aid" not in tight and "Applicants" not in tight
