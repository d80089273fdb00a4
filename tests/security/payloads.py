"""Hostile text for the injection tests: each payload is stored, shown and printed as the
literal text it is. ``VALID`` go through every text field; ``INVALID`` must be refused with a
clear error (and nothing written)."""

from __future__ import annotations

import html

SCRIPT = "<script>alert(1)</script>"
ATTR_BREAK = '"><img src=x onerror=alert(1)>'
JS_URL = "javascript:alert(1)"
SVG = "<svg onload=alert(1)>"
TEMPLATE = "{{7*7}}"
TEMPLATE_TAG = "{% debug %}"
TEMPLATE_DOLLAR = "${7*7}"
TEMPLATE_HASH = "#{7*7}"
SQL_DROP = "'; DROP TABLE dispute_case; --"
SQL_OR = "' OR '1'='1"
PATH_UP = "../../etc/passwd"
PATH_WIN = "..\\..\\windows"
FILE_URL = "file:///etc/passwd"
CRLF = "a\r\nSet-Cookie: evil=1\r\nX-Injected: 1"
RTL = "abc\u202etxt.exe"
ZERO_WIDTH = "张\u200b三\u200d\ufeff"
FORMULA_HYPERLINK = '=HYPERLINK("http://x")'
FORMULA_PLUS = "+cmd|' /C calc'!A0"
FORMULA_MINUS = "-1+1"
FORMULA_AT = "@SUM(1)"
CHINESE_MIXED = "张三<b>李四</b>&王五「引号」'单'\"双\"；第①条"

VALID: dict[str, str] = {
    "script": SCRIPT, "attr_break": ATTR_BREAK, "js_url": JS_URL, "svg": SVG,
    "template": TEMPLATE, "template_tag": TEMPLATE_TAG, "template_dollar": TEMPLATE_DOLLAR, "template_hash": TEMPLATE_HASH,
    "sql_drop": SQL_DROP, "sql_or": SQL_OR, "path_up": PATH_UP, "path_win": PATH_WIN, "file_url": FILE_URL,
    "crlf": CRLF, "zero_width": ZERO_WIDTH,
    "formula_hyperlink": FORMULA_HYPERLINK, "formula_plus": FORMULA_PLUS, "formula_minus": FORMULA_MINUS, "formula_at": FORMULA_AT,
    "chinese": CHINESE_MIXED,
}

# One string holding a bit of everything, for the places where each render is costly (PDFs):
# every field of a record gets it, with the field's own tag in front.
COMPACT = f"{SCRIPT}{ATTR_BREAK}{TEMPLATE}{TEMPLATE_TAG}{SQL_OR}{FILE_URL}{ZERO_WIDTH}{FORMULA_HYPERLINK}{CHINESE_MIXED}"

NUL = "张三\x00李四"
CONTROL = "张三\x07\x1b[31m"


def long_text(n: int) -> str:
    return ("调解" * (n // 2 + 1))[:n]


# A bidi override makes text show other than it is kept ("支付\u202e0001元" shows 支付1000元):
# refused like the control characters.
INVALID: dict[str, str] = {"nul": NUL, "control": CONTROL, "rtl": RTL}

# Markup that must never reach a page unescaped.
DANGEROUS_MARKUP = ("<script>alert(1)", "<img src=x onerror", "<svg onload", "<b>李四</b>")


def fitting(payload: str, limit: int) -> str:
    """The payload cut to a field's length limit (some fields hold 40 characters)."""
    return payload[:limit]


def assert_escaped(page: str, payload: str, where: str = "") -> None:
    """No piece of live markup from the payload is in the page. (``shown`` checks that template
    syntax is shown as typed, never evaluated: ``{{7*7}}`` must not turn into 49.)"""
    for bad in DANGEROUS_MARKUP:
        if bad in payload:
            assert bad not in page, f"{where}: unescaped {bad!r}"


def groups(size: int = 2) -> list[tuple[str, str]]:
    """The corpus in groups joined by " | ": each field then carries several payloads at once,
    which keeps the number of full case flows (and the run time) down."""
    names = sorted(VALID)
    return [("+".join(names[i:i + size]), " | ".join(VALID[n] for n in names[i:i + size])) for i in range(0, len(names), size)]


def escaped_forms(payload: str) -> tuple[str, ...]:
    """How a payload may appear in HTML: escaped with or without quotes escaped."""
    return (html.escape(payload, quote=True), html.escape(payload, quote=False), payload.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&#34;").replace("'", "&#39;"))


def shown(page: str, payload: str) -> bool:
    """True when the payload (without CR, which HTML folds) appears escaped in the page."""
    clean = payload.replace("\r\n", "\n").replace("\r", "\n")
    return any(form in page for form in escaped_forms(clean)) or any(form in page.replace("\r\n", "\n") for form in escaped_forms(clean))
