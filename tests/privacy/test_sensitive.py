"""Sensitive cases (marriage and family, medical, minors, types a town flags): the people
handling them see the content, every other member of staff who can see the case sees it
masked, in the API, the admin pages and searches; each view is in the access log."""

from __future__ import annotations

import random
import uuid
from datetime import date
from typing import Any

import pytest

from core import clock
from core.audit.tables import AccessLog
from core.cases.access import mask_name
from core.cases.tables import Case, Party
from core.privacy.sensitive import birth_date_from_id, is_minor
from core.roster.tables import DisputeType
from tests.core.test_api_access import bearer, make_key
from tests.factories import application

pytestmark = pytest.mark.db

PLACEHOLDER = "涉及隐私的纠纷"


def person() -> dict[str, str]:
    """A name, phone and secret that appear nowhere else in the database."""
    # Four characters from 16 (65,536 names), not two from 10: names met by chance before.
    return {
        "name": "欧阳" + "".join("明珠秀兰桂英翠芳玉梅春夏秋冬松柏"[int(h, 16)] for h in uuid.uuid4().hex[:4]),
        "phone": "139" + "".join(random.choice("0123456789") for _ in range(8)),
        "secret": "家暴细节" + uuid.uuid4().hex[:8],
    }


async def sensitive_case(town: Any, login: Any, who: dict[str, str], dispute_type: str = "marriage_family") -> int:
    desk = await login(town.users["window"])
    body = application(
        town, dispute_type=dispute_type, description=f"申请人{who['name']}称{who['secret']}", title=f"{who['name']}离婚纠纷",
        accept_now=True, rights_notified=True, consent=True,
        parties=[{"name": who["name"], "phone": who["phone"], "id_number": "44190019850101123X"}, {"name": "丈夫某", "role": "respondent"}],
    )
    resp = await desk.post("/api/v1/cases", json=body)
    assert resp.status_code == 201, resp.text
    cid = resp.json()["id"]
    await desk.act(cid, "dispatch", mediator_id=town.users["mediator0"]["mediator_id"])
    return cid


async def test_each_role_sees_a_sensitive_case_in_full_or_masked(town, login, client):
    who = person()
    cid = await sensitive_case(town, login, who)
    assignee = await login(town.users["mediator0"])
    await assignee.act(cid, "take")
    await assignee.act(cid, "note", text=f"面谈:{who['secret']}")

    full = {"mediator0", "supervisor", "county_supervisor"}
    masked = {"mediator1", "window", "village_staff"}
    for role in sorted(full | masked):
        api = await login(town.users[role])
        resp = await api.get(f"/api/v1/cases/{cid}")
        assert resp.status_code == 200, (role, resp.text)
        body = resp.json()
        text = resp.text
        if role in full:
            assert who["secret"] in body["description"] and body["restricted"] is False, role
            assert body["parties"][0]["name"].startswith("欧"), role
        else:
            assert body["description"] == PLACEHOLDER and body["title"] == PLACEHOLDER and body["restricted"] is True, role
            assert [p["name"] for p in body["parties"]] == ["申请人", "被申请人"], role
            assert who["name"] not in text and who["phone"][-4:] not in text and who["secret"] not in text, role
            timeline = await api.get(f"/api/v1/cases/{cid}/timeline")
            assert timeline.status_code == 200 and who["secret"] not in timeline.text, role
            assert (await api.get(f"/api/v1/cases/{cid}/evidence")).status_code == 403, role
            assert (await api.get(f"/api/v1/cases/{cid}/documents")).status_code == 403, role
            # Masked in the list too, and the access is recorded as masked.
            listed = (await api.get("/api/v1/cases", params={"limit": 200})).json()["items"]
            row = next(c for c in listed if c["id"] == cid)
            assert row["title"] == PLACEHOLDER and row["restricted"] is True, role
        log = await AccessLog.select(AccessLog.what).where((AccessLog.case_id == cid) & (AccessLog.user == town.users[role]["id"]))
        assert {"case.sensitive" if role in full else "case.masked"} <= {r["what"] for r in log}, role

    # An integration's key reads the case masked (keys never handle a case).
    key = await make_key(town.town, ["cases:read"])
    by_key = await client.get(f"/api/v1/cases/{cid}", headers=bearer(key))
    assert by_key.status_code == 200 and by_key.json()["description"] == PLACEHOLDER
    # The full phone: the assignee and supervisors only.
    party = (await Party.select(Party.id).where(Party.case == cid).order_by(Party.id).first())["id"]
    for role, code in (("mediator0", 200), ("supervisor", 200), ("mediator1", 403), ("window", 403)):
        api = await login(town.users[role])
        assert (await api.post(f"/api/v1/cases/{cid}/parties/{party}/reveal")).status_code == code, role


async def test_searching_by_name_or_phone_does_not_reveal_a_sensitive_case(town, login):
    who = person()
    cid = await sensitive_case(town, login, who)
    number = (await Case.select(Case.number).where(Case.id == cid).first())["number"]
    for role, found in (("mediator0", True), ("supervisor", True), ("mediator1", False), ("window", False)):
        api = await login(town.users[role])
        for term in (who["name"], who["phone"]):
            items = (await api.get("/api/v1/cases", params={"q": term})).json()["items"]
            assert (cid in [c["id"] for c in items]) is found, (role, term)
            page = await api.get("/admin/cases", params={"q": term})
            assert page.status_code == 200 and (number in page.text) is found, (role, term)
        # The case number is no secret: it finds the case, masked.
        items = (await api.get("/api/v1/cases", params={"q": number})).json()["items"]
        assert [c["id"] for c in items] == [cid], role
    # A later case with the same phone: the earlier sensitive one is not offered as a duplicate
    # to the desk, which no longer handles it; a supervisor sees it.
    desk = await login(town.users["window"])
    later = (await desk.post("/api/v1/cases", json=application(town, parties=[{"name": "某人", "phone": who["phone"]}]))).json()
    assert cid not in [d["id"] for d in later["possible_duplicates"]]
    supervisor = await login(town.users["supervisor"])
    dupes = (await supervisor.get(f"/api/v1/cases/{later['id']}/duplicates")).json()["items"]
    assert cid in [d["id"] for d in dupes]


async def test_the_case_page_is_masked_for_colleagues(town, login):
    who = person()
    cid = await sensitive_case(town, login, who)
    assignee = await login(town.users["mediator0"])
    page = await assignee.get(f"/admin/cases/{cid}")
    assert page.status_code == 200 and who["secret"] in page.text
    colleague = await login(town.users["mediator1"])
    page = await colleague.get(f"/admin/cases/{cid}")
    assert page.status_code == 200
    assert who["secret"] not in page.text and who["name"] not in page.text and who["phone"][-4:] not in page.text
    assert PLACEHOLDER in page.text and "详情仅向承办人员显示" in page.text
    # In the queue the case is listed, its applicant by role only.
    number = (await Case.select(Case.number).where(Case.id == cid).first())["number"]
    queue = await colleague.get("/admin/cases")
    assert number in queue.text and mask_name(who["name"]) not in queue.text and who["secret"] not in queue.text
    assert mask_name(who["name"]) in (await assignee.get("/admin/cases")).text


async def test_intake_desk_sees_the_case_until_it_is_dispatched(town, login):
    who = person()
    desk = await login(town.users["window"])
    cid = (await desk.post("/api/v1/cases", json=application(town, dispute_type="medical", description=who["secret"]))).json()["id"]
    assert (await desk.get(f"/api/v1/cases/{cid}")).json()["description"] == who["secret"]
    await desk.act(cid, "accept", rights_notified=True, consent=True)
    assert (await desk.get(f"/api/v1/cases/{cid}")).json()["description"] == who["secret"]
    await desk.act(cid, "dispatch", organisation_id=town.committee["id"], to_pool=True)
    assert (await desk.get(f"/api/v1/cases/{cid}")).json()["description"] == PLACEHOLDER
    # In the pool, the committee's mediators may read it to decide whether to take it.
    pool = await login(town.users["mediator1"])
    assert (await pool.get(f"/api/v1/cases/{cid}")).json()["description"] == who["secret"]


async def test_minors_make_a_case_sensitive(town, login):
    desk = await login(town.users["window"])
    today = clock.today()
    child_id = f"441900{today.year - 12}0315002X"
    by_id = (await desk.post("/api/v1/cases", json=application(town, parties=[{"name": "小明", "id_number": child_id}]))).json()["id"]
    flagged = (await desk.post("/api/v1/cases", json=application(town, parties=[{"name": "小红", "is_minor": True}]))).json()["id"]
    adult = (await desk.post("/api/v1/cases", json=application(town))).json()["id"]
    rows = {r["id"]: r["sensitive"] for r in await Case.select(Case.id, Case.sensitive).where(Case.id.is_in([by_id, flagged, adult]))}
    assert rows == {by_id: True, flagged: True, adult: False}
    assert (await Party.select(Party.is_minor).where(Party.case == by_id).first())["is_minor"] is True
    # A minor added later narrows access from then on.
    await desk.act(adult, "add_party", party={"name": "小刚", "role": "third_party", "birth_year": today.year - 10})
    assert (await Case.select(Case.sensitive).where(Case.id == adult).first())["sensitive"] is True
    # Retyping at acceptance keeps a minors' case sensitive.
    await desk.act(by_id, "accept", rights_notified=True, consent=True, dispute_type="neighbour")
    assert (await Case.select(Case.sensitive).where(Case.id == by_id).first())["sensitive"] is True


async def test_a_town_flags_more_types_sensitive(town, login):
    code = f"privacy_{uuid.uuid4().hex[:6]}"
    await DisputeType.insert(DisputeType(code=code, label_zh="信访隐私", label_en="Private", sensitive=True, sort_order=999, added_by="admin"))
    desk = await login(town.users["window"])
    cid = (await desk.post("/api/v1/cases", json=application(town, dispute_type=code))).json()["id"]
    assert (await Case.select(Case.sensitive).where(Case.id == cid).first())["sensitive"] is True


def test_birth_dates_and_minors_from_id_numbers() -> None:
    assert birth_date_from_id("44190019900101123X") == date(1990, 1, 1)
    assert birth_date_from_id("441900900101123") == date(1990, 1, 1)
    assert birth_date_from_id("44190019901301123X") is None and birth_date_from_id("") is None
    on = date(2026, 6, 1)
    assert is_minor({"id_number": "441900200806011234"}, on) is False  # 18 today
    assert is_minor({"id_number": "441900200806021234"}, on) is True  # 18 tomorrow
    assert is_minor({"id_number": "441900200802291234"}, date(2026, 2, 28)) is True  # leap-day birthday
    assert is_minor({"id_number": "441900200802291234"}, date(2026, 3, 1)) is False
    assert is_minor({"birth_year": 2009}, on) is True and is_minor({"birth_year": 2008}, on) is False
    assert is_minor({"kind": "company", "id_number": "441900201501011234"}, on) is False
