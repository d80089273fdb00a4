"""The staff's agreement page and the public verification page."""

from __future__ import annotations

import pytest

from tests.agreements.helpers import case_in_mediation, final_agreement, prepare_town

pytestmark = pytest.mark.db


async def test_staff_agreement_page(town, login, client):
    await prepare_town(town, login)
    cid, _desk, mediator = await case_in_mediation(town, login)
    anonymous = await client.get(f"/admin/cases/{cid}/agreement", follow_redirects=False)
    assert anonymous.status_code in (302, 303) and "/admin/login" in anonymous.headers["location"]
    empty = await mediator.get(f"/admin/cases/{cid}/agreement")
    assert empty.status_code == 200 and "尚未起草" in empty.text
    aid = await final_agreement(mediator, cid)
    page = await mediator.get(f"/admin/cases/{cid}/agreement")
    assert page.status_code == 200
    html = page.text
    assert "签名与印章（0/4）" in html and "张三" in html and "加盖调解委员会印章" in html
    assert "class=\"topbar\"" in html, "inside the admin's layout"
    assert 'data-kind="mediator"' in html, "the mediator sees their own pad"
    assert f'data-agreement="{aid}"' in html and 'data-csrf="' in html and 'data-csrf=""' not in html
    assert "13800138000" not in html, "contact details are masked on screen"
    outsider = await login(town.users["handler"])
    assert (await outsider.get(f"/admin/cases/{cid}/agreement")).status_code == 404


async def test_verify_page_forms(client):
    form = await client.get("/verify")
    assert form.status_code == 200 and 'enctype="multipart/form-data"' in form.text
    unknown = await client.get("/verify?code=AAAA-BBBB-CCCC")
    assert unknown.status_code == 200 and "未找到" in unknown.text
    garbage = await client.post("/verify", files={"file": ("x.pdf", b"not a pdf", "application/pdf")})
    assert garbage.status_code == 200 and "核验未通过" in garbage.text
    api = await client.post("/api/v1/public/verify", content=b"", headers={"Content-Type": "application/pdf"})
    assert api.status_code == 400
