"""The Jinja environment: autoescaped, with filters for local time, money and time left."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from core.settings import get_settings

log = logging.getLogger("jiefen.web")


def _plugin_template_dirs() -> list[Path]:
    try:
        from core.plugins.web import template_dirs

        return template_dirs()
    except Exception:  # a broken plugin must not take the admin down
        log.exception("collecting plugin template_dirs failed")
        return []


def make_environment() -> Environment:
    from web import TEMPLATE_DIR

    loaders = [FileSystemLoader(str(TEMPLATE_DIR))] + [FileSystemLoader(str(d)) for d in _plugin_template_dirs()]
    env = Environment(
        loader=ChoiceLoader(loaders), autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True, lstrip_blocks=True,
    )
    env.filters.update(local=local_time, localdate=local_date, money=money, isoinput=iso_input)
    return env


def as_aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if not value:
        return ""
    return as_aware(value).astimezone(get_settings().zone).strftime(fmt)


def local_date(value: datetime | None) -> str:
    return local_time(value, "%Y-%m-%d")


def iso_input(value: datetime | None) -> str:
    """For ``<input type="datetime-local">``."""
    return local_time(value, "%Y-%m-%dT%H:%M")


def money(value: Any) -> str:
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(str(value))
    except Exception:
        return str(value)
    return f"{amount:,.2f}"
