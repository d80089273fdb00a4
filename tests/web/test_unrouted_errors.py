"""A path under /admin/ that no route serves (or a method it does not serve) is answered with
the admin's error page in the user's language, not the API's JSON; the API keeps its problems.
The admin's headers (no-store, no framing) are on every admin page and error page."""

from __future__ import annotations

from typing import Any

import pytest

from core.auth.tables import StaffUser
from tests.web.conftest import BROWSER, has_admin_headers, is_page, is_problem

pytestmark = pytest.mark.db


async def test_unknown_admin_paths_and_methods_are_pages(town: Any, web_login: Any, client: Any) -> None:
    desk = await web_login(town.users["window"])

    missing = await desk.get("/admin/no-such-page", headers=BROWSER)
    assert is_page(missing, 404) and '<html lang="zh' in missing.text, missing.text[:300]
    assert "<h1>未找到</h1>" in missing.text and "<p>未找到。</p>" in missing.text and "problems/not_found" not in missing.text
    assert has_admin_headers(missing)
    # A browser's plain GET without Accept gets the page too; so does a path whose id is no number.
    assert is_page(await desk.get("/admin/no-such-page"), 404)
    assert is_page(await desk.get("/admin/cases/not-a-number", headers=BROWSER), 404)
    assert is_page(await desk.get("/admin/plugins/no_such_plugin/queue", headers=BROWSER), 404)

    # 405: the path exists, the method does not. The page keeps the Allow header.
    cookie = {"Cookie": "; ".join(f"{k}={v}" for k, v in desk.cookies.items())}
    wrong = await client.put("/admin/login", headers={**cookie, **BROWSER})
    assert is_page(wrong, 405) and "<h1>出错了</h1>" in wrong.text
    assert "<p>此页面不接受 PUT 请求。请返回上一页，使用页面上的按钮操作。</p>" in wrong.text, wrong.text[:600]
    english = await client.delete("/admin/login", headers={**BROWSER, "Accept-Language": "en"})
    assert is_page(english, 405) and "This page does not accept a DELETE request." in english.text
    assert "GET" in wrong.headers["allow"] and "POST" in wrong.headers["allow"] and has_admin_headers(wrong)

    # HTMX: the message in the page's notice area.
    hx = await desk.get("/admin/no-such-page", htmx=True)
    assert hx.status_code == 404 and hx.headers["HX-Retarget"] == "#flash" and hx.headers["HX-Reswap"] == "innerHTML"
    assert "<html" not in hx.text and '<p class="notice error" role="alert">未找到。</p>' in hx.text

    # Signed out: the same page (nothing there to sign in for).
    client.cookies.clear()
    assert is_page(await client.get("/admin/no-such-page", headers=BROWSER), 404)

    # English for an English user: the language the admin's sign-in remembered.
    await StaffUser.update({StaffUser.locale: "en"}).where(StaffUser.id == town.users["supervisor"]["id"])
    english = await (await web_login(town.users["supervisor"])).get("/admin/no-such-page", headers=BROWSER)
    assert is_page(english, 404) and '<html lang="en">' in english.text and "<h1>Not found</h1>" in english.text
    assert "未找到" not in english.text
    assert "<h1>Not found</h1>" in (await client.get("/admin/no-such-page", headers={**BROWSER, "Accept-Language": "en-GB"})).text


async def test_api_paths_keep_their_problems(client: Any) -> None:
    for url in ("/api/v1/no-such-thing", "/administrator", "/api/v1/plugins/psych/no-such-thing"):
        resp = await client.get(url, headers=BROWSER)
        assert is_problem(resp, 404, "not_found"), (url, resp.text[:200])
        assert resp.headers.get("x-content-type-options") == "nosniff" and "cache-control" not in resp.headers
    wrong = await client.put("/healthz", headers=BROWSER)
    assert is_problem(wrong, 405, "method_not_allowed") and "GET" in wrong.headers["allow"]


async def test_admin_headers_on_pages_and_their_errors(town: Any, web_login: Any) -> None:
    desk = await web_login(town.users["window"])
    listing = await desk.get("/admin/cases")
    assert listing.status_code == 200 and has_admin_headers(listing)
    # An error a route raised: Litestar's response_headers never reached these.
    gone = await desk.get("/admin/cases/99999999", headers=BROWSER)
    assert is_page(gone, 404) and has_admin_headers(gone)
