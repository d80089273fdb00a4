"""The plugin's pages as the admin shows them: its entry in the navigation (counsellors only,
only where it is on), panel forms that work as plain POST forms with JavaScript off (the hidden
``_csrf`` field the host gives every plugin template), and English for an English user."""

from __future__ import annotations

from typing import Any

import pytest

from core.auth.tables import StaffUser
from plugins.psych.tables import Referral
from tests.plugins.conftest import switch
from tests.plugins_psych.conftest import applicant_id, case_in_mediation, make_station

pytestmark = [pytest.mark.db, pytest.mark.plugin_psych]
NAV = '<a href="/admin/plugins/psych/queue">心理疏导</a>'


async def _referral(api: Any, town: Any) -> tuple[dict[str, Any], Any, int]:
    case, mediator = await case_in_mediation(api, town)
    resp = await mediator.post(f"/api/v1/plugins/psych/cases/{case['id']}/referrals", json={
        "party_id": await applicant_id(case["id"]), "consent": True, "grade": "yellow", "reason": "情绪低落", "pause": False,
    })
    assert resp.status_code == 201, resp.text
    return case, mediator, resp.json()["id"]


async def test_navigation_entry_for_counsellors_where_on(town: Any, api: Any) -> None:
    station = await make_station(town)
    counsellor = await api.login(station.counsellors[0])
    assert NAV in (await counsellor.get("/admin/cases")).text
    queue = await counsellor.get("/admin/plugins/psych/queue")
    # The shared shell: the admin's layout with the entry marked current, the plugin's heading.
    assert queue.status_code == 200 and "<h1>我的心理咨询转介</h1>" in queue.text
    assert '<a href="/admin/plugins/psych/queue" aria-current="page">心理疏导</a>' in queue.text
    mediator = await api.login(town.mediators[0]["user"])
    assert "/admin/plugins/psych/queue" not in (await mediator.get("/admin/cases")).text
    await switch("psych", town.town, False)
    assert "/admin/plugins/psych/queue" not in (await counsellor.get("/admin/cases")).text


async def test_panel_form_works_without_javascript(town: Any, api: Any, client: Any) -> None:
    await make_station(town)
    case, mediator, rid = await _referral(api, town)
    page = (await mediator.get(f"/admin/cases/{case['id']}")).text
    token = mediator.headers["X-CSRF-Token"]
    # The panel's grade form carries the hidden field the host renders.
    panel = page[page.index('id="psych-panel"'):]
    assert f'<input type="hidden" name="_csrf" value="{token}">' in panel[:panel.index("</form>")]
    cookie = {"Cookie": mediator.headers["Cookie"]}  # a browser with JavaScript off: no CSRF header

    refused = await client.post(f"/admin/plugins/psych/referrals/{rid}/grade", data={"grade": "red", "reason": "有自伤念头"}, headers=cookie)
    assert refused.status_code == 403
    assert (await Referral.select(Referral.grade).where(Referral.id == rid).first())["grade"] == "yellow"

    done = await client.post(
        f"/admin/plugins/psych/referrals/{rid}/grade", data={"_csrf": token, "grade": "red", "reason": "有自伤念头"}, headers=cookie,
    )
    assert done.status_code == 303 and done.headers["location"].startswith(f"/admin/cases/{case['id']}?flash=")
    assert (await Referral.select(Referral.grade).where(Referral.id == rid).first())["grade"] == "red"
    back = await client.get(done.headers["location"], headers=cookie)
    assert back.status_code == 200 and '<p class="notice ok">分级已更新。</p>' in back.text and "心理危机 · 红色预警" in back.text
    # A flash whose signature does not hold is not shown.
    forged = await client.get(f"/admin/cases/{case['id']}?flash=%E4%BC%AA&flash_kind=ok&flash_sig=0", headers=cookie)
    assert '<p class="notice ok">伪</p>' not in forged.text

    # A bad form with JavaScript off: the form again on a page of its own, the error inline.
    bad = await client.post(f"/admin/plugins/psych/referrals/{rid}/grade", data={"_csrf": token, "grade": "purple", "reason": "x"}, headers=cookie)
    assert bad.status_code == 400 and 'role="alert"' in bad.text and f'href="/admin/cases/{case["id"]}"' in bad.text


async def test_pages_follow_the_users_language(town: Any, api: Any) -> None:
    station = await make_station(town)
    case, mediator, rid = await _referral(api, town)
    for user in (station.counsellors[0], town.mediators[0]["user"]):
        await StaffUser.update({StaffUser.locale: "en"}).where(StaffUser.id == user["id"])
    counsellor = await api.login(station.counsellors[0])
    queue = (await counsellor.get("/admin/plugins/psych/queue")).text
    assert '<html lang="en">' in queue and "<h1>My counselling referrals</h1>" in queue and ">Counselling</a>" in queue
    assert "Yellow" in queue and "In counselling (mediation paused)" in queue and "我的心理咨询转介" not in queue
    referral = (await counsellor.get(f"/admin/plugins/psych/referrals/{rid}")).text
    assert "Record a session" in referral and "记录一次咨询" not in referral
    page = (await mediator.get(f"/admin/cases/{case['id']}")).text
    panel = page[page.index('id="psych-panel"'):]
    assert "Reason for referral" in panel and "转介原因" not in panel
