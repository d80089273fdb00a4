"""Rendering: sections, parties, running headers/footers, fonts, plugin sections, artifacts."""

from __future__ import annotations

import subprocess

import pytest
from markupsafe import Markup
from pdf_helpers import ARTIFACTS, page_count, pdftotext, squash

from core.documents import render_html, render_pdf_async, samples
from core.documents.render import qr_data_uri, render_pdf

pytestmark = pytest.mark.pdf

AGREEMENT_HEADINGS = [
    "人民调解协议书",
    "当事人基本情况",
    "纠纷主要事实",
    "争议事项",
    "各方责任",
    "达成协议内容",
    "履行方式、地点、期限",
    "协议生效与份数",
]
HEADINGS = {
    "receipt": ["受理回执", "受理信息", "已收材料"],
    "record": ["调解笔录", "调解记录", "以上笔录已经本人阅读"],
    "failure_notice": ["告知书", "调解不成", "申请仲裁", "提起诉讼", "行政处理", "第二十六条"],
}


def test_agreement_has_every_section_and_party(agreement_pdf: bytes) -> None:
    text = squash(pdftotext(agreement_pdf))
    for heading in AGREEMENT_HEADINGS:
        assert heading in text, heading
    for party in samples.agreement()["parties"]:
        assert party["name"] in text
        assert party["role"] in text
    assert "一、当事人基本情况" in text  # Chinese section numbering via @counter-style
    assert "刘秀英" in text  # mediator


def test_agreement_terms_amounts_and_copies(agreement_pdf: bytes) -> None:
    text = squash(pdftotext(agreement_pdf))
    assert "人民币38,650.00元（大写：叁万捌仟陆佰伍拾元整）" in text
    assert "壹仟贰佰零伍元伍角" in text
    assert "于2024年6月30日前以银行转账方式向申请人张建国支付" in text
    assert "本协议一式四份" in text  # three parties + the committee's copy
    assert "核验码：7KQ4-93XD" in text


def test_case_number_and_page_numbers_on_every_page(agreement_pdf: bytes) -> None:
    pages = page_count(agreement_pdf)
    assert pages >= 2
    for n in range(1, pages + 1):
        text = squash(pdftotext(agreement_pdf, first=n, last=n))
        assert samples.CASE_NO in text
        assert f"第{n}页共{pages}页" in text
        assert "7KQ4-93XD" in text


@pytest.mark.parametrize("name", sorted(HEADINGS))
def test_other_templates(rendered: dict[str, bytes], name: str) -> None:
    text = squash(pdftotext(rendered[name]))
    for heading in HEADINGS[name]:
        assert heading in text, heading
    assert samples.CASE_NO in text
    assert "张建国" in text


def test_receipt_fits_on_one_page(rendered: dict[str, bytes]) -> None:
    assert page_count(rendered["receipt"]) == 1


def test_fonts_embedded_and_subset(agreement_pdf: bytes, tmp_path) -> None:
    path = tmp_path / "a.pdf"
    path.write_bytes(agreement_pdf)
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    rows = [line for line in out.splitlines()[2:] if line.strip()]
    assert rows
    cjk = [r for r in rows if "CJK" in r]
    assert any("Serif-CJK-SC-Bold" in r for r in cjk), out  # a real bold face, not synthetic
    for row in cjk:
        cols = row.split()
        # name type... emb sub uni object ID: emb/sub/uni are the 5th-3rd from the end
        assert cols[-5:-2] == ["yes", "yes", "yes"], row
    assert all("CJK" in r for r in rows), out  # nothing fell back to a non-CJK font


def test_qr_is_svg_data_uri() -> None:
    uri = qr_data_uri("https://jiefen.example.cn/v/ABC")
    assert uri.startswith("data:image/svg+xml")


def test_extra_sections_markup_rendered_and_str_escaped() -> None:
    ctx = samples.agreement(signatures=False)
    ctx["extra_sections"] = [
        {"title": "心理疏导意见", "html": Markup("<p>建议<strong>定期回访</strong>。</p>")},
        {"title": "未标记的字符串", "html": "<em>escaped</em>"},
    ]
    html = render_html("agreement", ctx)
    assert "<strong>定期回访</strong>" in html
    assert "&lt;em&gt;escaped&lt;/em&gt;" in html
    # Before the signature block.
    assert html.index("心理疏导意见") < html.index('class="signatures"')


async def test_render_async_and_write_artifacts(agreement_pdf: bytes) -> None:
    pdf = await render_pdf_async("failure_notice", samples.failure_notice())
    assert pdf.startswith(b"%PDF-")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    src = ARTIFACTS / "agreement.pdf"
    src.write_bytes(agreement_pdf)
    last = page_count(agreement_pdf)
    for page in (1, last):
        subprocess.run(
            [
                "pdftoppm",
                "-r",
                "60",
                "-png",
                "-f",
                str(page),
                "-l",
                str(page),
                "-singlefile",
                str(src),
                str(ARTIFACTS / f"agreement-p{page}"),
            ],
            check=True,
        )
        assert (ARTIFACTS / f"agreement-p{page}.png").stat().st_size > 5000


def test_unknown_template_and_missing_keys() -> None:
    with pytest.raises(ValueError, match="unknown document template"):
        render_pdf("../../etc/passwd", {})
    with pytest.raises(ValueError, match="missing context keys"):
        render_pdf("agreement", {"committee": {"name": "x"}, "case_no": "1"})
    with pytest.raises(ValueError, match="unknown PDF variant"):
        render_pdf("agreement", samples.agreement(), pdf_variant="pdf/z")
