"""The signature pad in headless Chromium (Debian's) on a phone-sized screen: a party draws,
ticks the consent box and signs; the signature lands on the agreement."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest

from core.agreements.tables import AgreementSignature
from tests.agreements.helpers import case_in_mediation, final_agreement, prepare_town

pytestmark = [pytest.mark.db, pytest.mark.browser]

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"

if not Path(CHROMIUM).exists():  # pragma: no cover
    pytest.skip("Debian's chromium is not installed", allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_party_signs_on_a_phone(town, login, app):
    import uvicorn
    from playwright.async_api import async_playwright

    await prepare_town(town, login)
    cid, _desk, mediator = await case_in_mediation(town, login)
    aid = await final_agreement(mediator, cid)
    party = next(r for r in (await mediator.get(f"/api/v1/agreements/{aid}/signatures")).json()["required"] if r["kind"] == "party")
    link = (await mediator.post(f"/api/v1/agreements/{aid}/sign-links", json={"party_id": party["party_id"], "method": "pad"})).json()

    # The test's app on a real port, on this event loop (the database is already open).
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning"))
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:
            await asyncio.sleep(0.05)
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            context = await browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True, locale="zh-CN")
            page = await context.new_page()
            await page.goto(f"http://127.0.0.1:{port}{link['path']}")
            assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "no sideways scrolling"
            canvas = page.locator("canvas.pad")
            await canvas.scroll_into_view_if_needed()
            box = await canvas.bounding_box()
            await page.locator("[data-submit]").click()
            await page.locator(".msg", has_text="请先签名").wait_for()  # no eval: the page's CSP forbids it
            await page.mouse.move(box["x"] + 30, box["y"] + box["height"] / 2)
            await page.mouse.down()
            for i in range(1, 40):
                await page.mouse.move(box["x"] + 30 + i * 7, box["y"] + box["height"] / 2 + (25 if i % 2 else -25))
            await page.mouse.up()
            await page.locator("[data-submit]").click()
            await page.locator(".msg", has_text="勾选").wait_for()
            await page.locator("[data-consent]").check()
            SHOTS.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(SHOTS / "sign-pad-phone.png"), full_page=True)
            await page.locator("[data-submit]").click()
            await page.locator(".msg", has_text="签署成功").wait_for(timeout=15000)
            await browser.close()
    finally:
        server.should_exit = True
        await serving
    [row] = await AgreementSignature.select().where(AgreementSignature.agreement == aid)
    assert row["method"] == "pad" and row["party"] == party["party_id"] and "Chrome" in row["user_agent"]
