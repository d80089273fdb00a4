"""Every payload of the corpus through every free-text field of a case's life (public intake,
each action, the agreement's terms and revisions, sessions, follow-ups, notes): the JSON gives
it back literally, the admin's pages show it escaped, searches with it do not fail."""

from __future__ import annotations

from typing import Any

import pytest

from tests.security import payloads as p
from tests.security.flows import agreement_body, mediate, plain, public_case

pytestmark = [pytest.mark.db, pytest.mark.slow]

ADMIN_PAGES = ("/admin/cases/{cid}", "/admin/cases/{cid}/receipt", "/admin/cases/{cid}/agreement")


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    from core.ratelimit import reset_memory

    reset_memory()


async def _json_round_trip(api: Any, cid: int, payload: str, name: str) -> None:
    detail = (await api.get(f"/api/v1/cases/{cid}")).json()
    for key, limit in (("title", 200), ("description", 4000), ("preferred_time", 100), ("preferred_place", 200)):
        assert detail[key] == payload[:limit], (name, key, detail[key])
    company = next(x for x in detail["parties"] if x["kind"] == "company")
    assert company["name"] == payload[:120], name  # companies are not masked
    for party in detail["parties"]:
        revealed = (await api.post(f"/api/v1/cases/{cid}/parties/{party['id']}/reveal")).json()
        assert revealed["name"] == payload[:120] and revealed["address"] == payload[:255], (name, revealed)

    events = (await api.get(f"/api/v1/cases/{cid}/timeline")).json()["items"]
    texts = {e["name"]: e["payload"] for e in events}
    assert texts["accept"]["note"] == payload and texts["dispatch"]["note"] == payload
    assert texts["first_contact"]["result"] == payload and texts["set_risk"]["reason"] == payload
    assert texts["cancel_session"]["reason"] == payload and texts["note"]["text"] == payload
    assert texts["urge"]["message"] == payload and texts["supervise"]["message"] == payload

    revisions = (await api.get(f"/api/v1/cases/{cid}/agreements")).json()["items"]
    assert revisions, name
    for rev in revisions:
        for key in ("facts", "matters", "responsibilities", "performance"):
            assert rev[key] == payload, (name, key, rev[key])
        for term in rev["terms"]:
            assert {term[k] for k in ("obligor", "obligee", "what", "how", "where")} == {payload}, (name, term)


def _page_is_safe(page: str, payload: str, where: str) -> None:
    p.assert_escaped(page, payload, where)
    assert p.shown(page, payload), f"{where}: the payload is not shown"


async def test_every_payload_round_trips_and_is_escaped_everywhere(town, login, client) -> None:
    desk, mediator, supervisor = [await login(town.users[k]) for k in ("window", "mediator0", "supervisor")]
    actors = {"window": desk, "mediator0": mediator, "supervisor": supervisor}

    async def signed_in(user: dict[str, Any]) -> Any:
        return next(a for a in actors.values() if a.user["id"] == user["id"])

    for name, payload in p.groups(3):
        t = plain(payload)
        cid = await public_case(client, town, t)
        await mediate(town, signed_in, cid, t)
        await _json_round_trip(mediator, cid, payload, name)

        for url in ADMIN_PAGES:
            resp = await mediator.get(url.format(cid=cid))
            assert resp.status_code == 200, (url, resp.status_code)
            p.assert_escaped(resp.text, payload, f"{name} {url}")
            if "agreement" not in url:  # an oral agreement has no signing page text
                assert p.shown(resp.text, payload), f"{name} {url}: the payload is not shown"
        # the parties' names and addresses, once revealed (an htmx fragment)
        detail = (await mediator.get(f"/api/v1/cases/{cid}")).json()
        person = next(x for x in detail["parties"] if x["kind"] == "person")
        revealed = await mediator.post(f"/admin/cases/{cid}/parties/{person['id']}/reveal")
        assert revealed.status_code == 200, revealed.text
        _page_is_safe(revealed.text, payload, f"{name} reveal")

        queue = await desk.get("/admin/cases", params={"q": payload})
        assert queue.status_code == 200
        p.assert_escaped(queue.text, payload, f"{name} queue search")
        whole = await desk.get("/admin/cases")
        assert whole.status_code == 200
        p.assert_escaped(whole.text, payload, f"{name} queue")
        listed = await desk.get("/api/v1/cases", params={"q": payload})
        assert listed.status_code == 200, listed.text


async def test_a_written_revision_keeps_each_text(town, login, client) -> None:
    """Revisions are kept: each one holds its own (hostile) text."""
    t = plain(p.SCRIPT)
    cid = await public_case(client, town, t)
    actors = await mediate(town, login, cid, t, oral_agree=False)
    mediator = actors["mediator"]
    await mediator.act(cid, "draft_agreement", **agreement_body(plain(p.TEMPLATE)))
    revisions = (await mediator.get(f"/api/v1/cases/{cid}/agreements")).json()["items"]
    assert [r["facts"] for r in sorted(revisions, key=lambda r: r["revision"])] == [p.SCRIPT, p.TEMPLATE]
    latest = max(revisions, key=lambda r: r["revision"])
    await mediator.act(cid, "finalise_agreement", agreement_id=latest["id"])
    page = (await mediator.get(f"/admin/cases/{cid}/agreement")).text
    assert p.shown(page, p.TEMPLATE) and "<script>alert(1)" not in page
