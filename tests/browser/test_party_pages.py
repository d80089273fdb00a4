"""The party pages on a phone-sized screen (390×844) in Debian's headless Chromium: apply with
a code and a photo, follow the case, open it again with a fresh code, sign the agreement on
the phone, rate the service. The server runs in the test's own event loop (uvicorn), so the
codes are caught on their way to the SMS channel. Screenshots go to tests/artifacts/screenshots/.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from tests.parties.conftest import capture_codes, drive_to_agreed, mobile
from tests.parties.test_apply import png

pytestmark = [pytest.mark.browser, pytest.mark.db]

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]
SHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True, "locale": "zh-CN"}

if not Path(CHROMIUM).exists():  # pragma: no cover
    pytest.skip("Debian's chromium is not installed", allow_module_level=True)


@pytest.fixture
def codes(monkeypatch: pytest.MonkeyPatch) -> Any:
    from core.ratelimit import reset_memory

    reset_memory()  # sign-ins share 127.0.0.1 with the rest of the run
    return capture_codes(monkeypatch)


@pytest.fixture
async def live(app: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    import uvicorn

    from core.parties import otp
    from core.parties.settings import PartySettings

    monkeypatch.setattr(otp, "party_settings", lambda: PartySettings(otp_resend_seconds=0))
    # No lifespan: the test session owns the database pool.
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="off", log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


@pytest.fixture
async def browser() -> Any:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        chromium = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        await chromium.close()


async def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / f"party_{name}.png"), full_page=True)


async def no_sideways_scroll(page: Any) -> None:
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width}px wide on a 390px screen"


async def wait_for_code(codes: Any, phone: str) -> str:
    for _ in range(100):
        if any(s["phone"] == phone for s in codes.sent):
            return codes.last(phone)
        await asyncio.sleep(0.05)
    raise AssertionError("no code was sent")


async def apply_in_browser(page: Any, live: str, codes: Any, town: Any, tmp_path: Path) -> tuple[str, str]:
    phone = mobile()
    await page.goto(f"{live}/apply/?centre={town.town['id']}")
    await no_sideways_scroll(page)
    await shot(page, "apply")
    await page.fill("#applicant_name", "王小明")
    await page.fill("#applicant_phone", phone)
    await page.click("#send-code")
    await page.wait_for_selector("#code-status:has-text('验证码已发送')")
    assert "秒后重发" in await page.text_content("#send-code")
    await page.fill("#code", await wait_for_code(codes, phone))
    await page.check("input[name=respondent_kind][value=company]")
    await page.fill("#respondent_name", "某某毛织厂")
    await page.fill("#respondent_phone", "076983330000")
    await page.select_option("#dispute_type", "labour")
    await page.fill("#description", "工厂拖欠我三个月工资,共一万二千元。")
    photo = tmp_path / "欠条.png"
    photo.write_bytes(png())
    await page.set_input_files("#photos", str(photo))
    await page.click(f"input[name=mediator_id][value='{town.mediators[0]['id']}']")
    await page.check("input[name=preferred_mode][value=video]")
    await page.check("input[name=agree_privacy]")
    await shot(page, "apply_filled")
    await page.click("#submit")
    await page.wait_for_selector("#case-number")
    number = (await page.text_content("#case-number")).strip()
    assert number.startswith("申") and "调〔" not in number  # registration gives the official number
    await no_sideways_scroll(page)
    await shot(page, "applied")
    link = await page.get_attribute("#tracking-link", "href")
    return number, link.rsplit("/track/", 1)[1]


async def test_apply_track_and_sign_on_a_phone(live, browser, codes, town, login, tmp_path):
    context = await browser.new_context(**PHONE)
    page = await context.new_page()
    number, token = await apply_in_browser(page, live, codes, town, tmp_path)

    # Straight on to the case: the code was just checked.
    await page.click("#track-now")
    await page.wait_for_selector("#status")
    assert number in await page.text_content("#status")
    assert "正在等待调解中心受理" in await page.text_content("#status")
    await shot(page, "track_submitted")

    # The centre works the case: mediator, a video session, a final agreement to sign.
    from core.cases.tables import Case

    case_id = (await Case.select(Case.id).where(Case.number == number).first())["id"]
    desk = await login(town.users["window"])
    await desk.act(case_id, "accept", rights_notified=True, consent=True)
    await desk.act(case_id, "dispatch", mediator_id=town.mediators[0]["id"])
    worker = await login(town.mediators[0]["user"])
    await worker.act(case_id, "take")
    await worker.act(case_id, "schedule_session", scheduled_at="2026-12-02T01:30:00Z", place="大朗镇调处中心", mode="video")
    drafted = await worker.act(
        case_id, "draft_agreement", facts="申请人在被申请人处工作,被拖欠工资三个月。", matters="工资数额与支付期限",
        terms=[{"obligor": "某某毛织厂", "obligee": "王小明", "what": "支付拖欠工资", "amount": "12000.00", "due_date": "2026-12-31"}],
    )
    await worker.act(case_id, "finalise_agreement", agreement_id=drafted["event"]["payload"]["agreement_id"])

    # A new visit (another phone, no session): the link plus a fresh code.
    await context.close()
    context = await browser.new_context(**PHONE)
    page = await context.new_page()
    await page.goto(f"{live}/track/{token}")
    assert "验证手机号" in await page.text_content("main")
    assert number not in await page.content()
    await shot(page, "track_verify")
    await page.click("#send-code")
    await page.wait_for_selector("text=验证码已发送")
    phone = codes.sent[-1]["phone"]
    await page.fill("#code", codes.last(phone))
    await page.click("#verify")
    await page.wait_for_selector("#mediator")
    text = await page.text_content("main")
    assert "调解员0" in text and "调解中" in text and "线上视频" in text and "加入日历" in text
    await no_sideways_scroll(page)
    await shot(page, "track_in_mediation")

    # Sign on the phone through the signing flow.
    await page.click("#sign-link")
    await page.wait_for_selector("canvas.pad")
    await shot(page, "sign_pad")
    await page.locator("canvas.pad").scroll_into_view_if_needed()
    box = await page.locator("canvas.pad").bounding_box()
    x, y = box["x"], box["y"]
    await page.mouse.move(x + 40, y + 120)
    await page.mouse.down()
    for step in range(1, 12):
        await page.mouse.move(x + 40 + step * 22, y + 120 + (30 if step % 2 else -30), steps=3)
    await page.mouse.up()
    await page.check("[data-consent]")
    await page.click("[data-submit]")
    await page.wait_for_selector("text=签署成功")
    await page.goto(f"{live}/track/{token}")
    assert "您已签署" in await page.text_content("#agreement")
    await shot(page, "track_signed")
    await context.close()


async def test_rate_on_a_phone(live, browser, codes, town, login, tmp_path):
    context = await browser.new_context(**PHONE)
    page = await context.new_page()
    number, token = await apply_in_browser(page, live, codes, town, tmp_path)
    from core.cases.tables import Case

    case_id = (await Case.select(Case.id).where(Case.number == number).first())["id"]
    await drive_to_agreed(login, town, case_id)
    await page.goto(f"{live}/track/{token}")
    assert "双方已达成调解协议" in await page.text_content("#status")
    await page.check("input[name=performed][value=yes]")
    await page.click("label[for=star5]")
    await page.fill("#comment", "调解员很耐心,谢谢!")
    await shot(page, "rating")
    await page.click("#rating button[type=submit]")
    await page.wait_for_selector("text=感谢您的评价")
    assert "★★★★★" in await page.text_content("#rating")
    await no_sideways_scroll(page)
    await shot(page, "rated")
    await context.close()
