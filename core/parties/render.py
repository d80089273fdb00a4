"""Rendering the public pages: an autoescaped Jinja environment over this area's templates,
and the headers every page carries (no framing, no referrer: the URL holds a private token)."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Response

from core.settings import get_settings

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}


def local(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if not value:
        return ""
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    return value.astimezone(get_settings().zone).strftime(fmt)


def cn_datetime(value: datetime | None) -> str:
    if not value:
        return ""
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    t = value.astimezone(get_settings().zone)
    weekday = "一二三四五六日"[t.weekday()]
    return f"{t.month}月{t.day}日(周{weekday}) {t:%H:%M}"


def time_left(due: datetime | None) -> dict[str, Any]:
    if not due:
        return {"text": "", "overdue": False}
    due = due if due.tzinfo else due.replace(tzinfo=UTC)
    seconds = int((due - datetime.now(UTC)).total_seconds())
    days, rest = divmod(abs(seconds), 86400)
    hours = rest // 3600
    span = f"{days}天{hours}小时" if days else f"{max(hours, 1)}小时" if hours else "不到1小时"
    return {"text": f"已超期{span}" if seconds < 0 else f"还剩{span}", "overdue": seconds < 0}


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(default=True, default_for_string=True))
    env.filters.update(local=local, cn=cn_datetime)
    env.globals.update(time_left=time_left)
    return env


def html(template: str, status: int = 200, cookies: list[Any] | None = None, **context: Any) -> Response[str]:
    body = environment().get_template(template).render(**context)
    return Response(body, status_code=status, media_type="text/html; charset=utf-8", headers=HEADERS, cookies=cookies)
