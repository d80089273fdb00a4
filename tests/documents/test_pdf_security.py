"""User input can't inject markup, read local files or reach the network."""

from __future__ import annotations

import io
from typing import Any

import pypdf
import pytest
from markupsafe import Markup
from pdf_helpers import pdftotext, squash

from core.documents import render_html, samples
from core.documents.fetch import RestrictedFetcher
from core.documents.render import render_pdf

pytestmark = pytest.mark.pdf

PAYLOAD = '<script>alert(1)</script><b>x</b><img src="file:///etc/passwd">'
PASSWD_MARKERS = ("root:x:0:0", "/bin/bash", "nologin")
IMAGE_KEYS = {"signature_image", "seal_image"}
KEEP = {"amount", "kind", "route"}  # typed values, not free text


def poison(value: Any, key: str = "") -> Any:
    """Every text field becomes the payload; every image becomes a local file URL."""
    if key in IMAGE_KEYS:
        return "file:///etc/passwd"
    if key in KEEP:
        return value
    if isinstance(value, dict):
        return {k: poison(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [poison(v, key) for v in value]
    if isinstance(value, str):
        return PAYLOAD
    return value


def with_images(ctx: dict[str, Any]) -> dict[str, Any]:
    """Give every party/attendee/mediator an image key so poison() reaches it."""
    for key in ("parties", "mediators", "attendees"):
        for person in ctx.get(key, []):
            person.setdefault("signature_image", "")
    return ctx


@pytest.mark.parametrize("name", sorted(samples.SAMPLES))
def test_payload_is_literal_text_and_no_file_is_read(name: str) -> None:
    ctx = poison(with_images(samples.SAMPLES[name]()))
    html = render_html(name, ctx)
    assert "<script>" not in html and "<b>x</b>" not in html
    assert 'src="file:///etc/passwd"' in html  # the image URLs reach the fetcher ...

    pdf = render_pdf(name, ctx)  # ... which refuses them without failing the render
    text = pdftotext(pdf)
    assert squash(PAYLOAD) in squash(text)
    for marker in PASSWD_MARKERS:
        assert marker not in text
        assert marker.encode() not in pdf
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert not reader.attachments
    images = sum(len(page.images) for page in reader.pages)
    assert images == 0, "no signature/seal image may come from file:///etc/passwd"


def test_plugin_markup_cannot_fetch_files_either() -> None:
    ctx = samples.receipt()
    ctx["extra_sections"] = [
        {
            "title": "插件",
            "html": Markup(
                '<img src="file:///etc/passwd">'
                '<div style="background: url(file:///etc/passwd)">背景</div>'
                '<a rel="attachment" href="file:///etc/passwd">附件</a>'
                '<link rel="attachment" href="file:///etc/hostname">'
                '<img src="http://127.0.0.1:9/x.png">'
                '<svg width="10" height="10"><image href="file:///etc/passwd"/></svg>'
            ),
        }
    ]
    pdf = render_pdf("receipt", ctx)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert not reader.attachments
    assert "root:x:0:0" not in pdftotext(pdf)


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "FILE:///etc/passwd",
        "http://127.0.0.1/",
        "https://example.com/x.png",
        "ftp://example.com/x",
        "jiefen-asset:../render.py",
        "jiefen-asset:/etc/passwd",
        "jiefen-asset:documents.css/../../keys.py",
        "jiefen-asset:missing.svg",
        "/etc/passwd",
    ],
)
def test_fetcher_refuses(url: str) -> None:
    with pytest.raises(ValueError):
        RestrictedFetcher().fetch(url)


def test_fetcher_serves_data_and_assets() -> None:
    fetcher = RestrictedFetcher()
    assert fetcher.fetch("data:text/plain;base64,aGk=").read() == b"hi"
    seal = fetcher.fetch("jiefen-asset:specimen-seal.svg")
    assert seal.content_type == "image/svg+xml"
    assert b"<svg" in seal.read()
