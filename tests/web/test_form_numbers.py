"""Numbers in the admin's forms and links: "²" is a digit to ``str.isdigit()`` and no number to
``int()`` (it raised a ValueError: a 500). A filter drops what is no number; a form field says
so in the user's language (422), and nothing is written."""

from __future__ import annotations

from typing import Any

import pytest

from core.cases.tables import Case
from core.roster.tables import Mediator
from tests.factories import application, make_user

pytestmark = pytest.mark.db
WHOLE_NUMBER = "请填写整数。"
SUPERSCRIPT = "²"


async def test_filters_and_links_drop_what_is_no_number(town: Any, web_login: Any) -> None:
    desk = await web_login(town.users["window"])
    queue = await desk.get("/admin/cases?place=²")
    assert queue.status_code == 200 and "没有符合条件的案件" in queue.text
    supervisor = await web_login(town.users["supervisor"])
    assert (await supervisor.get("/admin/dashboard?org=²")).status_code == 200
    admin = await web_login(await make_user(town.town, ["admin"], "镇管理员"))
    assert (await admin.get("/admin/manage/roster?edit=²")).status_code == 200
    # A row button's index: the form comes back unchanged.
    form = await desk.post("/admin/intake", {"party-0-role": "applicant", "party-0-name": "王五", "_op": "remove_party:²"})
    assert form.status_code == 200 and 'value="王五"' in form.text


async def test_form_fields_that_are_no_number_are_refused(town: Any, web_login: Any) -> None:
    admin = await web_login(await make_user(town.town, ["admin"], "镇管理员"))
    await admin.get("/admin/manage/roster")
    before = await Mediator.count()
    for value in ("²", "abc", "99999999999"):
        refused = await admin.post("/admin/manage/roster", {"user_id": value})
        assert refused.status_code == 422 and WHOLE_NUMBER in refused.text, (value, refused.text[:300])
    assert await Mediator.count() == before

    # The intake form's place: a number or nothing (it was dropped, the case saved without it).
    desk = await web_login(town.users["window"])
    await desk.get("/admin/intake")
    data = {
        "channel": "walk_in", "dispute_type": "labour", "description": "数字测试的纠纷", "place_id": "abc",
        "risk_level": "low", "rights_notified": "on", "consent": "on",
        "party-0-role": "applicant", "party-0-kind": "person", "party-0-name": "王五", "party-0-phone": "13700001111",
    }
    refused = await desk.post("/admin/intake", data)
    assert refused.status_code == 422 and WHOLE_NUMBER in refused.text and 'value="王五"' in refused.text
    assert not await Case.exists().where(Case.description == "数字测试的纠纷")

    # A sum that is none (NaN compared raised InvalidOperation: a 500): the form again, kept.
    for amount in ("NaN", "-1", "1e20"):
        refused = await desk.post("/admin/intake", {**data, "place_id": "", "amount": amount})
        assert refused.status_code == 422 and 'value="王五"' in refused.text, (amount, refused.text[:300])
        assert '<p class="notice error" role="alert" id="intake_error">请检查:金额。</p>' in refused.text, refused.text[:2000]
    assert not await Case.exists().where(Case.description == "数字测试的纠纷")


async def test_a_case_number_that_is_no_number(town: Any, web_login: Any, login: Any) -> None:
    api = await login(town.users["window"])
    made = await api.post("/api/v1/cases", json=application(town, accept_now=True, rights_notified=True, consent=True))
    assert made.status_code == 201, made.text
    desk = await web_login(town.users["window"])
    await desk.get(f"/admin/cases/{made.json()['id']}")
    linked = await desk.post(f"/admin/cases/{made.json()['id']}/act/link", {"other_case": SUPERSCRIPT})
    assert linked.status_code == 404 and "<html" in linked.text, linked.text[:300]
