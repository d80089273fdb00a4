"""A plugin's navigation entry in headless Chromium (Debian's) against a real server: a
counsellor of a town where the psych plugin is on sees 心理疏导 in the admin's top navigation,
clicks it and lands on the plugin's queue inside the admin's layout; switching the language
switches the plugin's page too. Screenshots: tests/artifacts/screenshots/plugin-nav-*.png."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]
ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "tests" / "artifacts" / "screenshots"
PASSWORD = "jiefen-demo"
PORT = 8118  # this suite's port; a free one if it is taken

if not Path(CHROMIUM).exists():  # pragma: no cover
    pytest.skip("Debian's chromium is not installed", allow_module_level=True)


def _port() -> int:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", PORT))
        except OSError:
            s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "core.cli", *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.fixture(scope="module")
def server() -> Any:
    data = Path(tempfile.mkdtemp(prefix="jiefen-plugin-nav-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIEFEN_")}
    env.update(JIEFEN_DATA_DIR=str(data), JIEFEN_DATABASE_URL=f"sqlite:///{data / 'n.db'}", JIEFEN_SECRET_KEY="browser-test-secret-0123456789")
    _cli(env, "migrate")
    _cli(env, "seed-demo", "--cases", "4")
    db = sqlite3.connect(data / "n.db")
    town = db.execute("select id from organisation where name = '和平镇'").fetchone()[0]
    # The county's administrator turns the bundled plugin on for the town (what the admin's switch writes).
    db.execute(
        "insert into plugin_switch (plugin, organisation, enabled, changed_by, changed_at, note) values ('psych', ?, 1, null, ?, '')",
        (town, str(datetime.now(UTC))),
    )
    db.commit()
    db.close()
    _cli(env, "createuser", "xinli", "--organisation", str(town), "--roles", "counsellor", "--name", "心理咨询师小周", "--password", PASSWORD)
    port = _port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "core.api.asgi:app", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as resp:
                if resp.status == 200:
                    break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                out = proc.stdout.read().decode() if proc.stdout else ""
                raise RuntimeError("the server did not start:\n" + out[-3000:]) from None
            time.sleep(0.3)
    try:
        yield {"base": base}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            proc.kill()


async def test_counsellor_clicks_the_plugin_nav_entry(server: dict[str, Any]) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = await (await browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")).new_page()
            page.set_default_timeout(15000)
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            await page.goto(server["base"] + "/admin/login")
            await page.fill("input[name=username]", "xinli")
            await page.fill("input[name=password]", PASSWORD)
            await page.click("form.stack button[type=submit]")
            await page.wait_for_url("**/admin/cases")

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
            from playwright.async_api import expect

            await expect(page.locator("html")).to_have_attribute("lang", "en")
            assert await page.locator("main h1").inner_text() == "My counselling referrals"
            assert await page.locator("nav.nav a[aria-current=page]").inner_text() == "Counselling"
            await page.screenshot(path=str(SHOTS / "plugin-nav-en.png"), full_page=True)
            assert not errors
        finally:
            await browser.close()
