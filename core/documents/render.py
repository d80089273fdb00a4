"""Render Jiefen documents (HTML templates) to PDF with WeasyPrint.

Templates live in ``templates/documents/``; their context schemas are the TypedDicts in
``core.documents.schemas``:

=================  ===========================  =============================
template           document                     context
=================  ===========================  =============================
``agreement``      人民调解协议书               ``AgreementContext``
``receipt``        受理回执                     ``ReceiptContext``
``record``         调解笔录                     ``RecordContext``
``failure_notice`` 告知书（调解不成）           ``FailureNoticeContext``
=================  ===========================  =============================

Plugins add whole documents of their own (hook ``document_templates``): ``<plugin>/<doc>``
renders ``<plugin>/<doc>.html`` from the plugin's directory; it may extend ``documents/base.html``
and needs only the common keys.

All of them share ``committee``, ``case_no``, ``verification`` ({code, url}; the QR code is made
here from ``url``), ``issued_on`` and ``extra_sections`` (plugin sections: ``{"title": str,
"html": Markup}``, rendered before the signature block; a plain ``str`` is escaped).

Safety: autoescape is on for every template, and WeasyPrint fetches through
``fetch.RestrictedFetcher`` (``data:`` and packaged assets only), so user input can neither
inject markup nor make the renderer read local files or the network.
"""

from __future__ import annotations

import functools
import logging
import re
import shutil
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio.to_thread
import segno
from jinja2 import (
    BaseLoader,
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    TemplateNotFound,
    Undefined,
)
from weasyprint import CSS, HTML
from weasyprint.css.counters import CounterStyle
from weasyprint.pdf import VARIANTS
from weasyprint.text.fonts import FontConfiguration

from core import clock

from . import chinese
from .fetch import ASSETS_DIR, RestrictedFetcher, asset_url
from .schemas import CONTEXTS

log = logging.getLogger(__name__)

TEMPLATES_DIR = Path(__file__).parent / "templates"
STYLESHEET = ASSETS_DIR / "documents.css"
# The faces documents.css uses. WeasyPrint finds them through fontconfig by family name, which
# also picks the SC face inside the .ttc collections; check_fonts() only verifies they resolve.
FONT_FAMILIES = ("Noto Serif CJK SC", "Noto Serif CJK SC:bold", "Noto Sans CJK SC:bold")

# Keys a template cannot do without; optional ones are documented in schemas.py.
REQUIRED: dict[str, tuple[str, ...]] = {
    "agreement": ("parties", "facts", "matters", "responsibilities", "terms", "mediators"),
    "receipt": ("applicants", "respondents", "dispute_type", "applied_on", "accepted_on"),
    "record": ("started_at", "place", "mode", "mediators", "attendees"),
    "failure_notice": ("addressees", "dispute_type", "accepted_on", "ended_on", "reason", "advice"),
}
COMMON_REQUIRED = ("committee", "case_no")


def _lines(text: Any) -> list[str]:
    if text is None or isinstance(text, Undefined):
        return []
    return [line.strip() for line in str(text).splitlines() if line.strip()]


def _deadline(value: Any) -> str:
    """by_when -> '于2024年6月30日前'; prose such as '签订本协议当日' -> '于签订本协议当日'."""
    if value is None or value == "" or isinstance(value, Undefined):
        return ""
    text = chinese.cn_date(value)
    if text != value or not isinstance(value, str):
        return f"于{text}前"  # a real date
    return text if text.startswith(("于", "在", "自")) else f"于{text}"


def _month(value: Any) -> str:
    text = chinese.cn_date(value)
    return text.split("月")[0] + "月" if "月" in text else text


def _time_after(end: Any, start: Any) -> str:
    """End time without the date when it falls on the start's day."""
    full = chinese.cn_datetime(end)
    day = chinese.cn_date(start)
    return full.removeprefix(day) if day and full.startswith(day) and full != day else full


class PluginDocuments(BaseLoader):
    """The plugins' own document templates (hook ``document_templates``), looked up when a
    template is first used, so a plugin registered later is found too."""

    def get_source(self, environment: Environment, template: str) -> tuple[str, str | None, Any]:
        from core.plugins.manager import collect

        for _plugin, directories in collect("document_templates"):
            for directory in directories or []:
                try:
                    return FileSystemLoader(str(directory)).get_source(environment, template)
                except TemplateNotFound:
                    continue
        raise TemplateNotFound(template)


@functools.cache
def environment() -> Environment:
    env = Environment(
        # The core's templates first: a plugin cannot replace documents/base.html.
        loader=ChoiceLoader([FileSystemLoader(TEMPLATES_DIR), PluginDocuments()]),
        autoescape=True,  # every template, whatever its extension
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters.update(
        cn_date=chinese.cn_date,
        cn_datetime=chinese.cn_datetime,
        cn_month=_month,
        cn_time_after=_time_after,
        deadline=_deadline,
        yuan=chinese.format_yuan,
        yuan_upper=chinese.yuan_upper,
        small_number=chinese.small_number,
        lines=_lines,
    )
    env.globals["asset_url"] = asset_url
    return env


def _template_key(template_name: str) -> str:
    key = template_name.removeprefix("documents/").removesuffix(".html")
    # "<plugin>/<doc>": a plugin's own document (hook document_templates).
    if key not in CONTEXTS and not re.fullmatch(r"[a-z][a-z0-9_]*/[a-z][a-z0-9_]*", key):
        raise ValueError(
            f"unknown document template: {template_name!r} (known: {sorted(CONTEXTS)})"
        )
    return key


def qr_data_uri(url: str) -> str:
    """QR code of ``url`` as an SVG data URI (vector, so it prints sharp at any size)."""
    return segno.make(url, error="m", micro=False).svg_data_uri(scale=1, border=0, dark="#000")


def render_html(template_name: str, context: dict[str, Any]) -> str:
    """Fill a document template. Raises ValueError on an unknown template or missing keys."""
    key = _template_key(template_name)
    missing = [k for k in COMMON_REQUIRED + REQUIRED.get(key, ()) if k not in context]
    if missing:
        raise ValueError(f"{key}: missing context keys {missing}")
    ctx = {"issued_on": clock.today(), "extra_sections": [], "verification": None, **context}
    verification = ctx.get("verification")
    ctx["qr_data_uri"] = (
        qr_data_uri(verification["url"]) if verification and verification.get("url") else None
    )
    path = f"documents/{key}.html" if key in CONTEXTS else f"{key}.html"
    try:
        template = environment().get_template(path)
    except TemplateNotFound:
        raise ValueError(f"unknown document template: {template_name!r}") from None
    return template.render(ctx)


@dataclass
class _Resources:
    font_config: FontConfiguration
    counter_style: CounterStyle  # holds the stylesheet's @counter-style rules
    css: CSS
    fetcher: RestrictedFetcher


_local = threading.local()


def resources() -> _Resources:
    """Fonts and the parsed stylesheet, built once per thread.

    Parsing the CSS and loading the CJK fonts is a large share of a render; WeasyPrint's
    FontConfiguration wraps a Pango font map that should not be shared across threads, so the
    cache is thread-local (the worker threads of anyio/arq are reused).
    """
    res = getattr(_local, "res", None)
    if res is None:
        check_fonts()
        font_config = FontConfiguration()
        counter_style = CounterStyle()
        fetcher = RestrictedFetcher()
        css = CSS(
            filename=str(STYLESHEET),
            font_config=font_config,
            counter_style=counter_style,
            url_fetcher=fetcher,
        )
        res = _local.res = _Resources(font_config, counter_style, css, fetcher)
    return res


@functools.cache
def check_fonts() -> dict[str, str]:
    """Font file behind each family the stylesheet uses, as fontconfig resolves it.

    Logs a warning when a family falls back to a non-CJK font (``apt install fonts-noto-cjk``).
    """
    found: dict[str, str] = {}
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        log.warning("fc-match not found; cannot check the CJK fonts")
        return found
    for pattern in FONT_FAMILIES:
        out = subprocess.run(
            [fc_match, "-f", "%{file}", pattern], capture_output=True, text=True, check=False
        ).stdout.strip()
        found[pattern] = out
        if "CJK" not in out:
            log.warning(
                "font %r resolves to %r, not a Noto CJK font: install fonts-noto-cjk", pattern, out
            )
    return found


def render_pdf(
    template_name: str, context: dict[str, Any], *, pdf_variant: str | None = None
) -> bytes:
    """Render ``templates/documents/<template_name>.html`` to PDF bytes.

    Synchronous and CPU-bound (a few hundred ms): the app calls it from a worker thread or a
    background job, never on the event loop; use :func:`render_pdf_async` from async code.
    ``pdf_variant`` is a WeasyPrint variant such as ``"pdf/a-3b"``. Fonts are embedded as subsets.
    """
    if pdf_variant is not None and pdf_variant not in VARIANTS:
        raise ValueError(f"unknown PDF variant {pdf_variant!r}")
    html = render_html(template_name, context)
    res = resources()
    document = HTML(string=html, url_fetcher=res.fetcher)
    return document.write_pdf(
        stylesheets=[res.css],
        font_config=res.font_config,
        counter_style=res.counter_style,
        pdf_variant=pdf_variant,
    )


async def render_pdf_async(
    template_name: str, context: dict[str, Any], *, pdf_variant: str | None = None
) -> bytes:
    """:func:`render_pdf` in a worker thread, so the event loop keeps serving."""
    return await anyio.to_thread.run_sync(
        functools.partial(render_pdf, template_name, context, pdf_variant=pdf_variant)
    )


__all__ = [
    "check_fonts",
    "qr_data_uri",
    "render_html",
    "render_pdf",
    "render_pdf_async",
    "resources",
]
