"""Errors on plugins' admin pages look like the admin's own: a page in the user's language for a
browser, the notice fragment (retargeted to ``#flash``) for HTMX, the sign-in page when signed
out. The plugins' JSON API keeps its RFC 9457 problems."""

from __future__ import annotations

from typing import Any

import pytest

from core.auth.tables import StaffUser
from tests.plugins.conftest import switch
from tests.plugins_industry_assoc.conftest import API as ASSOC_API
from tests.plugins_industry_assoc.conftest import add_association
from tests.plugins_industry_assoc.conftest import case_in_mediation as assoc_case
from tests.plugins_legal_aid.conftest import make_centre
from tests.plugins_psych.conftest import make_station
from tests.web.conftest import BROWSER, HTMX, has_admin_headers, is_page, is_problem

pytestmark = [pytest.mark.db, pytest.mark.plugin_psych, pytest.mark.plugin_industry_assoc, pytest.mark.plugin_legal_aid]


async def test_psych_admin_errors_are_pages(town: Any, login: Any, client: Any) -> None:
    station = await make_station(town)
    counsellor = await login(station.counsellors[0])
    missing_url = "/admin/plugins/psych/referrals/999999"

    missing = await counsellor.get(missing_url, headers=BROWSER)
    assert is_page(missing, 404) and '<html lang="zh' in missing.text
    assert "<h1>未找到</h1>" in missing.text and "<p>未找到。</p>" in missing.text and "problems/not_found" not in missing.text
    # The admin's layout with its navigation, the plugin's entry too when the page knows it.
    assert 'href="/admin/cases"' in missing.text
    # Without a browser's Accept the route still serves HTML, so its error is a page too.
    assert is_page(await counsellor.get(missing_url), 404)

    hx = await counsellor.get(missing_url, headers=HTMX)
    assert hx.status_code == 404 and hx.headers["HX-Retarget"] == "#flash" and hx.headers["HX-Reswap"] == "innerHTML"
    assert "<html" not in hx.text and '<p class="notice error" role="alert">未找到。</p>' in hx.text

    # The API keeps its problems, whatever the client accepts.
    assert is_problem(await counsellor.get("/api/v1/plugins/psych/referrals/999999", headers=BROWSER), 404, "not_found")
    assert is_problem(await counsellor.get("/api/v1/plugins/psych/referrals/999999", headers=HTMX), 404, "not_found")

    # 403: a plain form posted without its hidden CSRF field.
    refused = await client.post(f"{missing_url}/grade", data={"grade": "red"}, headers={"Cookie": counsellor.headers["Cookie"], **BROWSER})
    assert is_page(refused, 403) and "<h1>无权访问</h1>" in refused.text and "页面已过期,请刷新后重试。" in refused.text

    # An id the database cannot hold is bad input (422), not a server error, as a page too.
    huge = await counsellor.get("/admin/plugins/psych/referrals/99999999999999999999", headers=BROWSER)
    assert is_page(huge, 422) and "部分字段缺失或有误。" in huge.text

    # Signed out: to the sign-in page, coming back here afterwards (HTMX: a client-side redirect).
    anonymous = await client.get("/admin/plugins/psych/queue", headers=BROWSER)
    assert anonymous.status_code == 303 and anonymous.headers["location"] == "/admin/login?next=%2Fadmin%2Fplugins%2Fpsych%2Fqueue"
    assert (await client.get("/admin/plugins/psych/queue", headers=HTMX)).headers["HX-Redirect"].startswith("/admin/login")
    assert is_problem(await client.get("/api/v1/plugins/psych/queue", headers=BROWSER), 401, "unauthorized")

    # English for an English user.
    await StaffUser.update({StaffUser.locale: "en"}).where(StaffUser.id == station.counsellors[1]["id"])
    english = await (await login(station.counsellors[1])).get(missing_url, headers=BROWSER)
    assert is_page(english, 404) and '<html lang="en">' in english.text and "<h1>Not found</h1>" in english.text
    assert "<p>Not found.</p>" in english.text and "未找到" not in english.text

    # Where the town has the plugin off, its pages do not exist: the admin's 404 page.
    await switch("psych", town.town, False)
    off = await counsellor.get("/admin/plugins/psych/queue", headers=BROWSER)
    assert is_page(off, 404) and "<h1>未找到</h1>" in off.text
    assert is_problem(await counsellor.get("/api/v1/plugins/psych/queue", headers=BROWSER), 404, "not_found")


async def test_industry_assoc_conflict_in_the_users_language(town: Any, login: Any, client: Any) -> None:
    await switch("industry_assoc", town.county, True)
    assoc = await add_association(town, login)
    cid, mediator = await assoc_case(town, login)
    made = await mediator.post(f"{ASSOC_API}/cases/{cid}/transfers", json={"association_id": assoc.registered["id"], "reason": "租金纠纷"})
    assert made.status_code == 201, made.text
    url = f"/admin/plugins/industry_assoc/transfers/{made.json()['id']}/cancel"
    assert (await mediator.post(url, headers=HTMX)).status_code == 200

    # Cancelled already: 409 with the plugin's own message, from its catalogue.
    hx = await mediator.post(url, headers=HTMX)
    assert hx.status_code == 409 and hx.headers["HX-Retarget"] == "#flash" and "<html" not in hx.text
    assert '<p class="notice error" role="alert">行业协会已答复该转办。</p>' in hx.text
    plain = await client.post(url, data={"_csrf": mediator.headers["X-CSRF-Token"]}, headers={"Cookie": mediator.headers["Cookie"], **BROWSER})
    assert is_page(plain, 409) and "<h1>出错了</h1>" in plain.text and "<p>行业协会已答复该转办。</p>" in plain.text

    api = await mediator.post(f"{ASSOC_API}/transfers/{made.json()['id']}/cancel", headers=BROWSER)
    assert is_problem(api, 409, "conflict") and api.json()["detail"] == "行业协会已答复该转办。"

    await StaffUser.update({StaffUser.locale: "en"}).where(StaffUser.id == town.mediators[0]["user"]["id"])
    english = await (await login(town.mediators[0]["user"])).post(url, headers=HTMX)
    assert english.status_code == 409 and "The association has already answered this transfer." in english.text


async def test_legal_aid_centre_page_not_found(town: Any, login: Any) -> None:
    centre = await make_centre(town)
    staff = await login(centre.staff[0])
    page = await staff.get("/admin/plugins/legal_aid/centre/handoffs/999999", headers=BROWSER)
    assert is_page(page, 404) and "<h1>未找到</h1>" in page.text
    hx = await staff.get("/admin/plugins/legal_aid/centre/handoffs/999999", headers=HTMX)
    assert hx.status_code == 404 and hx.headers["HX-Retarget"] == "#flash" and "<html" not in hx.text
    assert is_problem(await staff.get("/api/v1/plugins/legal_aid/centre/handoffs/999999", headers=BROWSER), 404, "not_found")


async def test_psych_unknown_admin_paths_and_methods_are_pages(town: Any, login: Any) -> None:
    station = await make_station(town)
    counsellor = await login(station.counsellors[0])
    # No route takes these, so the plugin's router never sees them: the app's handlers answer.
    missing = await counsellor.get("/admin/plugins/psych/no-such-page", headers=BROWSER)
    assert is_page(missing, 404) and "<h1>未找到</h1>" in missing.text and has_admin_headers(missing)
    hx = await counsellor.get("/admin/plugins/psych/no-such-page", headers=HTMX)
    assert hx.status_code == 404 and hx.headers["HX-Retarget"] == "#flash" and "<html" not in hx.text
    wrong = await counsellor.client.delete("/admin/plugins/psych/queue", headers={**counsellor.headers, **BROWSER})
    assert is_page(wrong, 405) and "此页面不接受 DELETE 请求。" in wrong.text and "GET" in wrong.headers["allow"] and has_admin_headers(wrong)
    # The plugin's API keeps its problems for both.
    assert is_problem(await counsellor.get("/api/v1/plugins/psych/no-such-page", headers=BROWSER), 404, "not_found")
    api_wrong = await counsellor.client.delete("/api/v1/plugins/psych/queue", headers={**counsellor.headers, **BROWSER})
    assert is_problem(api_wrong, 405, "method_not_allowed")


async def test_plugin_admin_pages_carry_the_admins_headers(town: Any, login: Any) -> None:
    station = await make_station(town)
    counsellor = await login(station.counsellors[0])
    queue = await counsellor.get("/admin/plugins/psych/queue", headers=BROWSER)
    assert queue.status_code == 200 and has_admin_headers(queue)
    missing = await counsellor.get("/admin/plugins/psych/referrals/999999", headers=BROWSER)
    assert is_page(missing, 404) and has_admin_headers(missing)
    hx = await counsellor.get("/admin/plugins/psych/referrals/999999", headers=HTMX)
    assert hx.status_code == 404 and has_admin_headers(hx)
    # The core admin's pages carry the very same (one definition).
    assert has_admin_headers(await counsellor.get("/admin/cases", headers=BROWSER))
    # The plugin's API is no admin page: it is left to cache rules of its own.
    api = await counsellor.get("/api/v1/plugins/psych/queue")
    assert api.status_code == 200 and "cache-control" not in api.headers
