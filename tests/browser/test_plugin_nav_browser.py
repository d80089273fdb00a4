"""A plugin's navigation entry in headless Chromium (Debian's) against a real server: a
counsellor of a town where the psych plugin is on sees 心理疏导 in the admin's top navigation,
clicks it and lands on the plugin's queue inside the admin's layout; switching the language
switches the plugin's page too. Screenshots: tests/artifacts/screenshots/plugin-nav-*.png."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.browser.server import PASSWORD, SHOTS, cli, have_chromium, live_server, new_page, sign_in

pytestmark = pytest.mark.browser

PORT = 8118  # this suite's port; a free one if it is taken

if not have_chromium():  # pragma: no cover
    pytest.skip("Debian's chromium is not installed", allow_module_level=True)


def _psych_on_and_a_counsellor(db_path: Path, env: dict[str, str]) -> dict[str, Any]:
    db = sqlite3.connect(db_path)
    town = db.execute("select id from organisation where name = '和平镇'").fetchone()[0]
    # The county's administrator turns the bundled plugin on for the town (what the admin's switch writes).
    db.execute(
        "insert into plugin_switch (plugin, organisation, enabled, changed_by, changed_at, note) values ('psych', ?, 1, null, ?, '')",
        (town, str(datetime.now(UTC))),
    )
    db.commit()
    db.close()
    cli(env, "createuser", "xinli", "--organisation", str(town), "--roles", "counsellor", "--name", "心理咨询师小周", "--password", PASSWORD)
    return {}


@pytest.fixture(scope="module")
def server() -> Iterator[dict[str, Any]]:
    with live_server("plugin-nav", ("--cases", "4"), _psych_on_and_a_counsellor, port=PORT) as site:
        yield site


async def test_counsellor_clicks_the_plugin_nav_entry(server: dict[str, Any], browser: Any) -> None:
    from playwright.async_api import expect

    page = await new_page(browser, height=800)
    await sign_in(page, server["base"], "xinli")

    entry = page.locator("nav.nav a", has_text="心理疏导")
    assert await entry.count() == 1
    await entry.click()
    await page.wait_for_url("**/admin/plugins/psych/queue")
    assert await page.locator("main h1").inner_text() == "我的心理咨询转介"
    assert await page.locator("nav.nav a[aria-current=page]").inner_text() == "心理疏导"
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / "plugin-nav-zh.png"), full_page=True)

    # The language switch in the admin's header applies to the plugin's page too.
    await page.click("header .who button[name=locale][value=en]")
    # not wait_for_function: the page's CSP forbids eval
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    assert await page.locator("main h1").inner_text() == "My counselling referrals"
    assert await page.locator("nav.nav a[aria-current=page]").inner_text() == "Counselling"
    await page.screenshot(path=str(SHOTS / "plugin-nav-en.png"), full_page=True)
    assert not page.js_errors
    await page.context.close()
