"""The browser tests' fixtures: a headless Chromium per test and the admin's live server,
shared by the admin's test files (see server.py)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.server import ARGS, CHROMIUM, PASSWORD, cli, live_server


def _user_of_another_town(db_path: Path, env: dict[str, str]) -> dict[str, Any]:
    db = sqlite3.connect(db_path)
    other_town = db.execute("select id from organisation where name = '安宁街道'").fetchone()[0]
    db.close()
    cli(env, "createuser", "anning", "--organisation", str(other_town), "--roles", "window_staff,supervisor", "--name", "安宁街道窗口", "--password", PASSWORD)
    return {}


@pytest.fixture(scope="package")
def admin_server() -> Iterator[dict[str, Any]]:
    """The demo town with six cases and 安宁街道's window (``anning``), for the admin's files.

    Drained like the others: the walk-in case's own document jobs (a SYSTEM ``issue_document``
    event each) now land while the mediator's page is open, and the next action from that page
    must still go through (core.cases.lifecycle._only_unattended_notes_since; it was refused as
    a conflict before)."""
    with live_server("browser", ("--cases", "6"), _user_of_another_town, drain=True) as server:
        yield server


@pytest.fixture
async def browser() -> Any:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield b
        finally:
            await b.close()
