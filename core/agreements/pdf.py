"""Rendering the area's own document templates (the case file) with the pipeline's fonts,
stylesheet and restricted fetcher; they extend ``documents/base.html``."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import anyio.to_thread
from jinja2 import ChoiceLoader, Environment, FileSystemLoader

from core import clock

TEMPLATES = Path(__file__).parent / "templates"


@functools.cache
def environment() -> Environment:
    from core.documents.render import environment as documents

    base = documents()
    return base.overlay(loader=ChoiceLoader([FileSystemLoader(TEMPLATES), base.loader]))


def render_html(template: str, context: dict[str, Any]) -> str:
    from core.documents.render import qr_data_uri

    ctx = {"issued_on": clock.today(), "extra_sections": [], "verification": None, **context}
    verification = ctx.get("verification")
    ctx["qr_data_uri"] = qr_data_uri(verification["url"]) if verification else None
    return environment().get_template(template).render(ctx)


def render_pdf(template: str, context: dict[str, Any]) -> bytes:
    from weasyprint import HTML

    from core.documents.render import resources

    res = resources()
    document = HTML(string=render_html(template, context), url_fetcher=res.fetcher)
    return document.write_pdf(stylesheets=[res.css], font_config=res.font_config, counter_style=res.counter_style)


async def render_pdf_async(template: str, context: dict[str, Any]) -> bytes:
    return await anyio.to_thread.run_sync(functools.partial(render_pdf, template, context))


def page_count(pdf: bytes) -> int:
    import io

    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def concatenate(parts: list[bytes]) -> bytes:
    """One PDF of the parts' pages; their signature fields and widgets are dropped (the
    bundle is signed as a whole, each part stays verifiable on its own)."""
    import io

    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for part in parts:
        writer.append(PdfReader(io.BytesIO(part)), excluded_fields=["/Annots", "/B", "/AcroForm"])
    if "/AcroForm" in writer._root_object:
        del writer._root_object["/AcroForm"]
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
