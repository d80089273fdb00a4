"""Text no field may hold (NUL and other control characters) and text too long for its field:
a 422 in the user's language, never a 5xx, and nothing written."""

from __future__ import annotations

import pytest

from core.cases.tables import Case, CaseEvent, Party
from tests.factories import application
from tests.security import payloads as p
from tests.security.flows import case_body, plain

pytestmark = pytest.mark.db

NUL_MESSAGE = {"zh_CN": "不能包含控制字符", "en": "control characters"}


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    from core.ratelimit import reset_memory

    reset_memory()


def _refused(resp, locale: str = "zh_CN") -> None:
    assert resp.status_code == 422, (resp.status_code, resp.text[:300])
    assert NUL_MESSAGE[locale] in resp.text, resp.text[:300]


async def test_control_characters_are_refused_in_every_json_field(town, login, client) -> None:
    desk = await login(town.users["window"])
    before = await Case.count()
    for bad in p.INVALID.values():
        for field in ("title", "description", "preferred_place"):
            _refused(await desk.post("/api/v1/cases", json=application(town, **{field: bad})))
        parties = [{"name": bad, "role": "applicant"}]
        _refused(await desk.post("/api/v1/cases", json=application(town, parties=parties)))
        public = {**case_body(town, plain(bad)), "centre_id": town.town["id"]}
        _refused(await client.post("/api/v1/public/applications", json=public))
        _refused(await client.post("/api/v1/public/applications", json=public, headers={"Accept-Language": "en"}), "en")
    assert await Case.count() == before, "a refused intake wrote a case"

    cid = (await desk.post("/api/v1/cases", json=application(town, accept_now=True, rights_notified=True, consent=True))).json()["id"]
    events = await CaseEvent.count().where(CaseEvent.case == cid)
    _refused(await desk.post(f"/api/v1/cases/{cid}/actions/note", json={"text": p.NUL}))
    _refused(await desk.post(f"/api/v1/cases/{cid}/actions/set_risk", json={"risk_level": "high", "reason": "x", "note": p.CONTROL}))
    _refused(await desk.post(f"/api/v1/cases/{cid}/actions/add_party", json={"party": {"name": p.NUL}}))
    # a key is text too
    _refused(await desk.post(f"/api/v1/cases/{cid}/actions/note", json={"text": "ok", "\x00": 1}))
    assert await CaseEvent.count().where(CaseEvent.case == cid) == events
    assert await Party.count().where(Party.case == cid) == 2

    # searches: a 422, not a database error
    _refused(await desk.get("/api/v1/cases", params={"q": p.NUL}))
    assert (await desk.get("/admin/cases", params={"q": p.NUL})).status_code == 422


async def test_control_characters_are_refused_in_admin_forms(town, login) -> None:
    desk = await login(town.users["window"])
    cid = (await desk.post("/api/v1/cases", json=application(town, accept_now=True, rights_notified=True, consent=True))).json()["id"]
    events = await CaseEvent.count().where(CaseEvent.case == cid)
    # a plain form post and an htmx one (the message goes to the page's notice area)
    resp = await desk.post(f"/admin/cases/{cid}/act/note", data={"text": p.NUL})
    _refused(resp)
    resp = await desk.post(f"/admin/cases/{cid}/act/note", data={"text": p.CONTROL}, headers={"HX-Request": "true"})
    _refused(resp)
    assert resp.headers.get("hx-retarget") == "#flash"
    # the staff intake form is multipart (it carries evidence files)
    before = await Case.count()
    form = {"channel": "walk_in", "dispute_type": "labour", "description": p.NUL, "party-0-name": "张三", "party-0-role": "applicant",
            "rights_notified": "on", "consent": "on"}
    resp = await desk.post("/admin/intake/", data=form, files={"evidence": ("a.txt", b"", "text/plain")})
    _refused(resp)
    assert await Case.count() == before
    assert await CaseEvent.count().where(CaseEvent.case == cid) == events


async def test_overlong_text_gets_a_clear_error(town, login, client) -> None:
    desk = await login(town.users["window"])
    before = await Case.count()
    for field, limit in (("title", 200), ("description", 4000), ("preferred_place", 200)):
        resp = await desk.post("/api/v1/cases", json=application(town, **{field: p.long_text(limit + 1)}))
        assert resp.status_code == 422 and resp.json()["detail"] == "部分字段缺失或有误。", resp.text[:200]
        assert field in resp.text
        # exactly at the limit is fine (Chinese characters count as one)
    resp = await desk.post("/api/v1/cases", json=application(town, description=p.long_text(4000)))
    assert resp.status_code == 201, resp.text[:200]
    resp = await desk.post("/api/v1/cases", json=application(town, parties=[{"name": p.long_text(121)}]), headers={"Accept-Language": "en"})
    assert resp.status_code == 422 and resp.json()["detail"] == "Some fields are missing or wrong."
    assert await Case.count() == before + 1
    # a very long search term is harmless
    assert (await desk.get("/api/v1/cases", params={"q": p.long_text(5000)})).status_code == 200
    # overlong form fields come back to the form with the message, nothing written
    cid = resp_cid = (await desk.post("/api/v1/cases", json=application(town))).json()["id"]
    assert resp_cid
    events = await CaseEvent.count().where(CaseEvent.case == cid)
    resp = await desk.post(f"/admin/cases/{cid}/act/note", data={"text": p.long_text(4001)})
    assert resp.status_code == 422 and "请检查" in resp.text
    assert await CaseEvent.count().where(CaseEvent.case == cid) == events


async def test_sums_that_are_not_sums_get_a_clear_error(town, login, client) -> None:
    """NaN compared raised InvalidOperation inside msgspec's check: a 500 for an intake, a term."""
    desk = await login(town.users["window"])
    before = await Case.count()
    for amount in ("NaN", "sNaN", "-NaN", "Infinity", "-0.01", "1e13"):
        staff = await desk.post("/api/v1/cases", json=application(town, amount=amount))
        assert staff.status_code == 422 and staff.json()["detail"] == "部分字段缺失或有误。", (amount, staff.text[:300])
        public = await client.post("/api/v1/public/applications", json={**case_body(town, plain("欠薪")), "centre_id": town.town["id"], "amount": amount},
                                   headers={"Accept-Language": "en"})
        assert public.status_code == 422 and public.json()["detail"] == "Some fields are missing or wrong.", (amount, public.text[:300])
    assert await Case.count() == before, "a refused intake wrote a case"
    assert (await desk.post("/api/v1/cases", json=application(town, amount="1200.50"))).status_code == 201
