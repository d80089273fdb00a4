"""The association's navigation entry, and the case page's transfer form as a plain POST form
(JavaScript off): refused without the hidden ``_csrf`` field, done with it, back to the case."""

from __future__ import annotations

from typing import Any

import pytest

from core.auth.tables import StaffUser
from plugins.industry_assoc.tables import Transfer
from tests.plugins_industry_assoc.conftest import AssocTown, case_in_mediation

pytestmark = [pytest.mark.db, pytest.mark.plugin_industry_assoc]


async def test_navigation_entry_for_association_staff(assoc: AssocTown, login: Any) -> None:
    staff = await login(assoc.staff)
    assert '<a href="/admin/plugins/industry_assoc/inbox">行业调解</a>' in (await staff.get("/admin/cases")).text
    inbox = await staff.get("/admin/plugins/industry_assoc/inbox")
    assert inbox.status_code == 200 and 'aria-current="page">行业调解</a>' in inbox.text
    supervisor = await login(assoc.town.users["supervisor"])
    listing = (await supervisor.get("/admin/cases")).text
    assert '<a href="/admin/plugins/industry_assoc/stats">行业调解统计</a>' in listing and "/industry_assoc/inbox" not in listing


async def test_transfer_form_without_javascript(assoc: AssocTown, login: Any, client: Any) -> None:
    cid, mediator = await case_in_mediation(assoc.town, login)
    form = (await mediator.get(f"/admin/plugins/industry_assoc/cases/{cid}/transfer-form", headers={"HX-Request": "true"})).text
    token = mediator.headers["X-CSRF-Token"]
    assert f'<input type="hidden" name="_csrf" value="{token}">' in form
    cookie = {"Cookie": mediator.headers["Cookie"]}
    url = f"/admin/plugins/industry_assoc/cases/{cid}/transfer"
    fields = {"association_id": str(assoc.registered["id"]), "reason": "租金纠纷"}
    refused = await mediator.client.post(url, data=fields, headers=cookie)
    assert refused.status_code == 403 and not await Transfer.exists().where(Transfer.case_id == cid)
    done = await mediator.client.post(url, data={**fields, "_csrf": token}, headers=cookie)
    assert done.status_code == 303 and done.headers["location"].startswith(f"/admin/cases/{cid}?flash=")
    assert await Transfer.exists().where(Transfer.case_id == cid)
    back = (await mediator.client.get(done.headers["location"], headers=cookie)).text
    assert '<p class="notice ok">已转行业协会调解。</p>' in back


async def test_inbox_in_english(assoc: AssocTown, login: Any) -> None:
    await StaffUser.update({StaffUser.locale: "en"}).where(StaffUser.id == assoc.staff["id"])
    staff = await login(assoc.staff)
    inbox = (await staff.get("/admin/plugins/industry_assoc/inbox")).text
    assert "<h1>Transfers to the association</h1>" in inbox and ">Industry mediation</a>" in inbox and "行业协会转办" not in inbox
