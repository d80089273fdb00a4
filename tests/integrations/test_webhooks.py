"""Outgoing webhooks: signed so a receiver can check them, retried with backoff through the
outbox, logged, and replayable through the API."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest

from core.integrations import webhooks
from core.integrations.tables import WebhookDelivery
from core.jobs.tables import OutboxJob
from tests.factories import application
from tests.integrations.conftest import make_key, run_jobs

pytestmark = pytest.mark.db

REPORT = {"service_code": "labour", "description": "工厂欠薪", "address_string": "西村", "phone": "13800002222"}


def receiver_accepts(secret: str, body: bytes, header: str) -> bool:
    """What an integration's receiver does, with nothing but the standard library."""
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header)


async def _setup(admin, town, receiver, client, **over):
    key = await make_key(admin, town, ["open311:create", "open311:read", "webhooks:read"])
    resp = await admin.post("/api/v1/integrations", json={
        "name": "12345热线", "organisation_id": town.town["id"], "url": receiver.url, "api_key_id": key["id"], **over,
    })
    assert resp.status_code == 201, resp.text
    integration = resp.json()
    assert integration["secret"].startswith("whsec_")
    filed = await client.post("/open311/v2/requests.json", data={**REPORT, "api_key": key["key"]})
    assert filed.status_code == 201, filed.text
    return key, integration, filed.json()[0]["service_request_id"]


async def _deliveries(integration_id: int) -> list[dict]:
    return await WebhookDelivery.select().where(WebhookDelivery.integration == integration_id).order_by(WebhookDelivery.id)


async def test_signed_delivery_a_receiver_can_verify(admin, town, receiver, client, login):
    key, integration, rid = await _setup(admin, town, receiver, client)
    await run_jobs()
    assert len(receiver.received) == 1
    got = receiver.received[0]
    assert receiver_accepts(integration["secret"], got["body"], got["headers"]["X-Jiefen-Signature"])
    assert not receiver_accepts(integration["secret"], got["body"] + b" ", got["headers"]["X-Jiefen-Signature"])
    assert not receiver_accepts("whsec_wrong", got["body"], got["headers"]["X-Jiefen-Signature"])
    payload = json.loads(got["body"])
    assert payload["type"] == "case.submit" and payload["case"]["state"] == "submitted"
    assert payload["open311"] == {"service_request_id": rid} and "13800002222" not in got["body"].decode()
    assert got["headers"]["X-Jiefen-Event"] == "submit"
    # The hotline learns of the next step too.
    desk = await login(town.users["window"])
    await desk.act(payload["case"]["id"], "accept", rights_notified=True, consent=True)
    await run_jobs()
    latest = json.loads(receiver.received[-1]["body"])
    assert latest["type"] == "case.accept" and latest["event"]["to_state"] == "registered"
    log = (await admin.get(f"/api/v1/integrations/{integration['id']}/deliveries")).json()["items"]
    assert [d["status"] for d in log] == ["sent", "sent"] and log[0]["last_status_code"] == 200
    # Running the jobs again sends nothing twice.
    await run_jobs()
    assert len(receiver.received) == 2


async def test_only_own_cases_unless_subtree(admin, town, receiver, client, login):
    key, own, _ = await _setup(admin, town, receiver, client)
    wide = (await admin.post("/api/v1/integrations", json={
        "name": "省平台", "organisation_id": town.town["id"], "url": receiver.url, "scope": "subtree", "events": ["submit"],
    })).json()
    desk = await login(town.users["window"])
    await desk.post("/api/v1/cases", json=application(town))  # a walk-in: not the hotline's own case
    await run_jobs()
    assert len(await _deliveries(own["id"])) == 1
    assert len(await _deliveries(wide["id"])) == 2


async def test_retry_with_backoff_then_success(admin, town, receiver, client):
    receiver.statuses = [503]
    _, integration, _ = await _setup(admin, town, receiver, client)
    await run_jobs()
    [delivery] = await _deliveries(integration["id"])
    assert delivery["status"] == "pending" and delivery["attempts"] == 1 and delivery["last_status_code"] == 503
    wait = delivery["next_attempt_at"] - datetime.now(UTC)
    assert timedelta(seconds=20) < wait <= timedelta(seconds=30)
    retry = await OutboxJob.select().where(OutboxJob.dedupe_key == f"webhook:{delivery['id']}:2").first()
    assert retry["status"] == "pending" and retry["available_at"] == delivery["next_attempt_at"]
    await run_jobs()
    assert len(receiver.received) == 1  # not before its time
    await OutboxJob.update({OutboxJob.available_at: datetime.now(UTC)}).where(OutboxJob.id == retry["id"])
    await run_jobs()
    [delivery] = await _deliveries(integration["id"])
    assert delivery["status"] == "sent" and delivery["attempts"] == 2
    first, second = receiver.received
    assert first["body"] == second["body"] and second["headers"]["X-Jiefen-Attempt"] == "2"
    assert webhooks.backoff(1) == timedelta(seconds=30) and webhooks.backoff(3) == timedelta(minutes=8)


async def test_failed_delivery_is_replayed_through_the_api(admin, town, receiver, client, monkeypatch):
    monkeypatch.setattr(webhooks, "webhook_settings", lambda: webhooks.WebhookSettings(max_attempts=1))
    receiver.statuses = [500]
    key, integration, _ = await _setup(admin, town, receiver, client)
    await run_jobs()
    [failed] = await _deliveries(integration["id"])
    assert failed["status"] == "failed" and failed["last_error"] == "down"
    listed = (await admin.get(f"/api/v1/integrations/{integration['id']}/deliveries?status=failed")).json()["items"]
    assert [d["id"] for d in listed] == [failed["id"]]
    replayed = await admin.post(f"/api/v1/integrations/{integration['id']}/deliveries/{failed['id']}/replay")
    assert replayed.status_code == 202, replayed.text
    await run_jobs()
    new = await WebhookDelivery.select().where(WebhookDelivery.id == replayed.json()["delivery_id"]).first()
    assert new["status"] == "sent" and new["replay_of"] == failed["id"] and new["body"] == failed["body"]
    assert receiver_accepts(integration["secret"], receiver.received[-1]["body"], receiver.received[-1]["headers"]["X-Jiefen-Signature"])
    detail = (await admin.get(f"/api/v1/integrations/{integration['id']}/deliveries/{failed['id']}")).json()
    assert detail["body"] == failed["body"]


async def test_integration_key_reads_its_log_and_needs_scope_to_replay(admin, town, receiver, client, monkeypatch):
    monkeypatch.setattr(webhooks, "webhook_settings", lambda: webhooks.WebhookSettings(max_attempts=1))
    receiver.statuses = [500]
    key, integration, _ = await _setup(admin, town, receiver, client)
    await run_jobs()
    auth = {"Authorization": f"Bearer {key['key']}"}
    log = await client.get(f"/api/v1/integrations/{integration['id']}/deliveries", headers=auth)
    assert log.status_code == 200 and log.json()["items"][0]["status"] == "failed"
    failed_id = log.json()["items"][0]["id"]
    refused = await client.post(f"/api/v1/integrations/{integration['id']}/deliveries/{failed_id}/replay", headers=auth)
    assert refused.status_code == 403
    replayer = await make_key(admin, town, ["webhooks:replay"])
    other = await client.post(f"/api/v1/integrations/{integration['id']}/deliveries/{failed_id}/replay", headers={"Authorization": f"Bearer {replayer['key']}"})
    assert other.status_code == 403  # not this integration's key


async def test_rotate_secret_and_disable(admin, town, receiver, client):
    _, integration, _ = await _setup(admin, town, receiver, client)
    await run_jobs()
    rotated = (await admin.post(f"/api/v1/integrations/{integration['id']}/rotate-secret")).json()["secret"]
    assert rotated != integration["secret"]
    ping = await admin.post(f"/api/v1/integrations/{integration['id']}/ping")
    assert ping.status_code == 202
    await run_jobs()
    got = receiver.received[-1]
    assert json.loads(got["body"])["type"] == "ping"
    assert receiver_accepts(rotated, got["body"], got["headers"]["X-Jiefen-Signature"])
    assert not receiver_accepts(integration["secret"], got["body"], got["headers"]["X-Jiefen-Signature"])
    await admin.post(f"/api/v1/integrations/{integration['id']}/disable")
    count = len(receiver.received)
    await admin.post(f"/api/v1/integrations/{integration['id']}/ping")
    await run_jobs()
    assert len(receiver.received) == count


async def test_in_process_asgi_receiver(monkeypatch):
    """The same signature check against an ASGI receiver through httpx's transport."""
    import httpx

    seen = {}

    async def app(scope, receive, send):
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        seen["ok"] = receiver_accepts("whsec_test", body, dict(scope["headers"])[b"x-jiefen-signature"].decode())
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def post(url, body, headers):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as c:
            return await c.post(url, content=body, headers=headers)

    body = b'{"type":"ping"}'
    response = await post("http://receiver/hook", body, {"X-Jiefen-Signature": webhooks.sign("whsec_test", body)})
    assert response.status_code == 204 and seen["ok"]
