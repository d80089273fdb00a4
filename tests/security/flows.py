"""Cases driven through the real API with hostile text in every free-text field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.factories import Api, Town

Text = Callable[[str, int], str]


def tagged(payload: str) -> Text:
    """Each field gets ``<field>:`` then the payload, cut to the field's limit."""

    def text(field: str, limit: int) -> str:
        return f"{field}:{payload}"[:limit]

    return text


def plain(payload: str) -> Text:
    return lambda field, limit: payload[:limit]


def case_body(town: Town, t: Text, **over: Any) -> dict[str, Any]:
    body = {
        "channel": "online", "dispute_type": "labour",
        "title": t("title", 200), "description": t("description", 4000), "amount": "1000.00",
        "place_id": town.villages[0]["id"], "preferred_time": t("preferred_time", 100),
        "preferred_place": t("preferred_place", 200), "external_ref": t("external_ref", 100),
        "parties": [
            {"name": t("applicant", 120), "role": "applicant", "phone": "13800138001", "address": t("address", 255)},
            {"name": t("company", 120), "role": "respondent", "kind": "company", "address": t("company_address", 255)},
        ],
    }
    body.update(over)
    return body


def terms(t: Text) -> list[dict[str, Any]]:
    return [{
        "obligor": t("obligor", 120), "obligee": t("obligee", 120), "what": t("what", 4000), "amount": "100.00",
        "how": t("how", 4000), "where": t("where", 4000), "due_date": "2026-12-31",
    }]


def agreement_body(t: Text) -> dict[str, Any]:
    return {
        "facts": t("facts", 4000), "matters": t("matters", 4000), "responsibilities": t("responsibilities", 4000),
        "terms": terms(t), "performance": t("performance", 4000),
    }


async def public_case(client: Any, town: Town, t: Text) -> int:
    resp = await client.post("/api/v1/public/applications", json={**case_body(town, t), "centre_id": town.town["id"]})
    assert resp.status_code == 201, resp.text
    return resp.json()["id"]


async def mediate(town: Town, login: Any, cid: int, t: Text, *, oral_agree: bool = True) -> dict[str, Api]:
    """From submitted to agreed (and followed up), every text field of every step filled."""
    desk = await login(town.users["window"])
    await desk.act(cid, "accept", rights_notified=True, consent=True, note=t("accept_note", 4000))
    await desk.act(cid, "dispatch", mediator_id=town.mediators[0]["id"], note=t("dispatch_note", 4000))
    mediator = await login(town.users["mediator0"])
    await mediator.act(cid, "take")
    await mediator.act(cid, "first_contact", result=t("first_contact", 4000))
    await mediator.act(cid, "set_risk", risk_level="high", reason=t("risk_reason", 4000))
    await mediator.act(cid, "add_party", party={"name": t("third_party", 120), "role": "third_party", "address": t("third_address", 255)})
    sid = (await mediator.act(
        cid, "schedule_session", scheduled_at="2026-12-01T10:00:00+08:00", place=t("session_place", 200),
        attendees=[t("attendee", 120)],
    ))["event"]["payload"]["session_id"]
    await mediator.act(cid, "record_session", session_id=sid, record=t("record", 4000))
    sid2 = (await mediator.act(cid, "schedule_session", scheduled_at="2026-12-02T10:00:00+08:00"))["event"]["payload"]["session_id"]
    await mediator.act(cid, "cancel_session", session_id=sid2, reason=t("cancel_reason", 4000))
    await mediator.act(cid, "note", text=t("note", 4000))
    supervisor = await login(town.users["supervisor"])
    await supervisor.act(cid, "urge", message=t("urge", 4000))
    await supervisor.act(cid, "supervise", message=t("supervise", 4000))
    await mediator.act(cid, "draft_agreement", **agreement_body(t))
    if oral_agree:
        await mediator.act(cid, "agree", **agreement_body(t))
        await mediator.act(cid, "follow_up", result=t("follow_result", 4000), comment=t("follow_comment", 4000), performed=True, rating=5)
    return {"desk": desk, "mediator": mediator, "supervisor": supervisor}
