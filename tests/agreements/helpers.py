"""Helpers for the agreements tests: a town with signing keys and a seal, a case in
mediation, signature images, and the written-agreement flow through the API."""

from __future__ import annotations

import base64
import io
from typing import Any

from PIL import Image, ImageDraw

from core.documents.samples import signature_png
from tests.factories import Api, Town, application, make_user

TERMS = [
    {"obligor": "某某制衣厂", "obligee": "张三", "what": "支付拖欠的三个月工资", "amount": "36000.00",
     "how": "银行转账", "where": "镇人民调解委员会", "due_date": "2026-12-31"},
]
AGREEMENT = {
    "facts": "申请人在被申请人处工作，被申请人拖欠其2026年7月至9月工资。",
    "matters": "拖欠工资的数额与支付期限。",
    "responsibilities": "被申请人未按时足额支付劳动报酬，应承担全部责任。",
    "terms": TERMS,
    "performance": "款项以申请人银行账户到账为准。",
}


def pad(seed: str = "张三") -> str:
    return signature_png(seed)


def seal_png() -> bytes:
    img = Image.new("RGBA", (300, 300), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.ellipse((10, 10, 290, 290), outline=(200, 20, 20, 255), width=12)
    draw.polygon([(150, 90), (175, 160), (250, 160), (190, 200), (210, 270), (150, 225), (90, 270), (110, 200), (50, 160), (125, 160)], fill=(200, 20, 20, 255))
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def data_url(png: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64," + base64.b64encode(png).decode()


def scanned_page_jpeg() -> bytes:
    img = Image.new("RGB", (600, 840), (250, 250, 245))
    draw = ImageDraw.Draw(img)
    draw.line([(80, 700), (380, 690), (420, 720)], fill=(20, 20, 60), width=5)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=80)
    return out.getvalue()


async def prepare_town(town: Town, login: Any) -> Api:
    """Signing keys for the town's committee and its seal, set by a town administrator."""
    from core.agreements.keys import create_for

    create_for(town.committee)
    admin_user = town.users.get("admin") or await make_user(town.town, ["admin"], "管理员")
    town.users["admin"] = admin_user
    admin = await login(admin_user)
    resp = await admin.client.put(
        f"/api/v1/organisations/{town.committee['id']}/seal", json={"image": data_url(seal_png())}, headers=admin.headers,
    )
    assert resp.status_code == 200, resp.text
    return admin


async def case_in_mediation(town: Town, login: Any, **over: Any) -> tuple[int, Api, Api]:
    desk = await login(town.users["window"])
    resp = await desk.post("/api/v1/cases", json=application(town, accept_now=True, rights_notified=True, consent=True, **over))
    assert resp.status_code == 201, resp.text
    cid = resp.json()["id"]
    await desk.act(cid, "dispatch", mediator_id=town.mediators[0]["id"])
    mediator = await login(town.users["mediator0"])
    await mediator.act(cid, "take")
    return cid, desk, mediator


async def final_agreement(mediator: Api, cid: int, **over: Any) -> int:
    drafted = await mediator.act(cid, "draft_agreement", **{**AGREEMENT, **over})
    aid = drafted["event"]["payload"]["agreement_id"]
    await mediator.act(cid, "finalise_agreement", agreement_id=aid)
    return aid


async def sign_party_by_link(mediator: Api, aid: int, party_id: int, method: str = "kiosk", seed: str = "当事人") -> dict[str, Any]:
    link = await mediator.post(f"/api/v1/agreements/{aid}/sign-links", json={"party_id": party_id, "method": method})
    assert link.status_code == 201, link.text
    # The kiosk has no staff session: only the token in the path.
    resp = await mediator.client.post(link.json()["path"], json={"image": pad(seed), "consent": True}, headers={"User-Agent": "kiosk-test"})
    assert resp.status_code == 201, resp.text
    return resp.json()


async def sign_everything(mediator: Api, aid: int) -> dict[str, Any]:
    """Every party by link, the mediator on the pad, then the seal (the last one)."""
    status = (await mediator.get(f"/api/v1/agreements/{aid}/signatures")).json()
    for r in status["required"]:
        if r["kind"] == "party" and not r["signed"]:
            await sign_party_by_link(mediator, aid, r["party_id"], seed=r["name"])
    resp = await mediator.post(f"/api/v1/agreements/{aid}/signatures", json={"signer": "mediator", "image": pad("调解员")})
    assert resp.status_code == 201, resp.text
    resp = await mediator.post(f"/api/v1/agreements/{aid}/seal")
    assert resp.status_code == 201, resp.text
    return resp.json()


async def run_jobs() -> None:
    from core.jobs.runner import drain

    while await drain():
        pass
