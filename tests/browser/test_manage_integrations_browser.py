"""An administrator in headless Chromium creates an API key (shown once, and it works) and sets
a local deadline rule, seeing a bad value flagged inline first."""

from __future__ import annotations

import json
import sqlite3
import urllib.request

import pytest

from tests.browser.test_admin_browser import _page, server, shot  # noqa: F401 - server is a fixture (the admin's files share one)

pytestmark = pytest.mark.browser


async def test_admin_creates_an_api_key_and_edits_a_deadline_policy(server, browser):  # noqa: F811
    base = server["base"]
    page = await _page(browser, server, "admin")
    await page.goto(base + "/admin/manage/keys")
    await page.fill("#key_form input[name=name]", "12345热线对接")
    await page.check("#key_form input[name=scopes][value='cases:read']")
    await page.click("#key_form button.primary")
    issued = page.locator("#issued_key code.big-code")
    await issued.wait_for()
    key = (await issued.inner_text()).strip()
    assert key.startswith("jf_")
    assert "12345热线对接" in await page.locator("table.list").inner_text()
    await shot(page, "manage-keys-issued")
    request = urllib.request.Request(base + "/api/v1/cases", headers={"Authorization": f"Bearer {key}"})
    with urllib.request.urlopen(request, timeout=10) as resp:
        assert resp.status == 200 and "items" in json.loads(resp.read())

    await page.goto(base + "/admin/manage/deadlines")
    await page.select_option("#rule_form select[name=kind]", "mediation")
    await page.select_option("#rule_form select[name=dispute_type]", "labour")
    await page.fill("#rule_form input[name=duration]", "0")
    await page.click("#rule_form button.primary")
    error = page.locator("#rule_error")
    await error.wait_for()
    assert "1" in await error.inner_text() and "10000" in await error.inner_text()
    assert await page.locator("#rule_form input[name=duration]").get_attribute("aria-invalid") == "true"
    await shot(page, "manage-deadline-inline-error")

    await page.fill("#rule_form input[name=duration]", "20")
    await page.select_option("#rule_form select[name=unit]", "calendar_days")
    await page.click("#rule_form button.primary")
    await page.wait_for_selector("#rule_error", state="detached")
    await page.wait_for_selector("text=20 ")
    assert not page.js_errors
    with sqlite3.connect(server["db"]) as db:
        rows = db.execute("select kind, dispute_type, duration, unit from deadline_policy where duration = 20").fetchall()
    assert rows == [("mediation", "labour", 20, "calendar_days")]
    await page.context.close()
