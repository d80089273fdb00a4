"""Outgoing webhooks: one delivery row per (integration, event), the exact body signed with
HMAC-SHA256 (``X-Jiefen-Signature: sha256=<hex>``), sent from a job, retried with exponential
backoff through the outbox, kept as a delivery log, and replayable.

A receiver checks ``hmac.compare_digest("sha256=" + HMAC(secret, raw_body).hexdigest(), header)``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import httpx
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.db import write_transaction
from core.i18n import label
from core.integrations.tables import Integration, Open311Request, WebhookDelivery
from core.jobs.outbox import enqueue
from core.settings import get_settings

log = logging.getLogger("jiefen.integrations.webhooks")
SEND_JOB = "integrations_webhook_send"
SIGNATURE_HEADER = "X-Jiefen-Signature"


class WebhookSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JIEFEN_WEBHOOKS_", extra="ignore")

    max_attempts: int = Field(default=6, ge=1, description="Tries before a delivery is kept as failed (then replay it).")
    backoff_seconds: float = Field(default=30, gt=0, description="Wait before the 2nd try; each later wait is 4 times longer.")
    timeout_seconds: float = Field(default=10, gt=0, description="How long one try may take.")


@lru_cache(maxsize=1)
def webhook_settings() -> WebhookSettings:
    return WebhookSettings()


def secret_for(integration: dict[str, Any]) -> str:
    """Derived from the server's secret key and the row's nonce, so the table holds no secret."""
    key = get_settings().secret_key.encode()
    mac = hmac.new(key, f"webhook:{integration['id']}:{integration['secret_nonce']}".encode(), hashlib.sha256)
    return "whsec_" + mac.hexdigest()


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(secret: str, body: bytes, header: str) -> bool:
    """What a receiver does (and what the tests do)."""
    return hmac.compare_digest(sign(secret, body), header or "")


def backoff(attempt: int) -> timedelta:
    """After try ``attempt`` (1-based): 30 s, 2 min, 8 min, 32 min, ~2 h … by default."""
    return timedelta(seconds=webhook_settings().backoff_seconds * 4 ** (attempt - 1))


def _iso(value: Any) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if isinstance(value, datetime) else value


async def event_body(case: dict[str, Any], event: dict[str, Any]) -> bytes:
    """What the receiver learns: the case's state and the event, no personal data."""
    request = await Open311Request.select(Open311Request.request_id).where(Open311Request.case == case["id"]).first()
    body = {
        "id": f"evt_{event['id']}", "type": f"case.{event['name']}", "occurred_at": _iso(event.get("at")),
        "case": {
            "id": case["id"], "number": case["number"], "state": case["state"], "state_label": label("state", case["state"], "zh_CN"),
            "channel": case["channel"], "dispute_type": case["dispute_type"], "external_ref": case.get("external_ref") or "",
            "version": case["version"], "updated_at": _iso(case.get("updated_at")),
        },
        "event": {"name": event["name"], "seq": event.get("seq"), "from_state": event.get("from_state"), "to_state": event.get("to_state")},
        "open311": {"service_request_id": request["request_id"]} if request else None,
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def wants(integration: dict[str, Any], case: dict[str, Any], event_name: str) -> bool:
    events = integration["events"] if isinstance(integration["events"], list) else json.loads(integration["events"] or "[]")
    if "*" not in events and event_name not in events:
        return False
    if integration["scope"] == "subtree":
        path = integration["org_path"]
        return any((case.get(k) or "").startswith(path) for k in ("org_path", "place_path", "assigned_org_path"))
    return integration["api_key"] is not None and case.get("source_key") == f"api_key:{integration['api_key']}"


async def fan_out(case: dict[str, Any], event: dict[str, Any]) -> list[int]:
    """One delivery per integration that wants this event; idempotent per (integration, event)."""
    rows = await Integration.select(
        *Integration.all_columns(), Integration.organisation.path.as_alias("org_path")
    ).where(Integration.active == True)  # noqa: E712
    targets = [r for r in rows if wants(r, case, event["name"])]
    if not targets:
        return []
    body = (await event_body(case, event)).decode()
    created = []
    async with write_transaction():
        for integration in targets:
            inserted = await WebhookDelivery.insert(
                WebhookDelivery(
                    integration=integration["id"], event_id=event["id"], case_id=case["id"], event_name=event["name"],
                    dedupe_key=f"{integration['id']}:{event['id']}", body=body, next_attempt_at=datetime.now(UTC),
                )
            ).on_conflict(action="DO NOTHING", target=WebhookDelivery.dedupe_key).returning(WebhookDelivery.id)
            if inserted:
                delivery_id = inserted[0]["id"]
                await enqueue(SEND_JOB, {"delivery_id": delivery_id}, dedupe_key=f"webhook:{delivery_id}:1")
                created.append(delivery_id)
    return created


async def new_delivery(integration_id: int, body: str, *, event_name: str, case_id: int | None = None,
                       event_id: int | None = None, replay_of: int | None = None, requested_by: str = "") -> int:
    """A delivery outside the event flow: a replay or a ping."""
    async with write_transaction():
        row = (await WebhookDelivery.insert(
            WebhookDelivery(
                integration=integration_id, event_id=event_id, case_id=case_id, event_name=event_name, body=body,
                replay_of=replay_of, requested_by=requested_by, next_attempt_at=datetime.now(UTC),
            )
        ).returning(WebhookDelivery.id))[0]
        await enqueue(SEND_JOB, {"delivery_id": row["id"]}, dedupe_key=f"webhook:{row['id']}:1")
    from core.jobs.runner import kick

    kick()
    return int(row["id"])


async def replay(delivery: dict[str, Any], requested_by: str) -> int:
    return await new_delivery(
        delivery["integration"], delivery["body"], event_name=delivery["event_name"], case_id=delivery["case_id"],
        event_id=delivery["event_id"], replay_of=delivery["id"], requested_by=requested_by,
    )


async def ping(integration_id: int, requested_by: str) -> int:
    body = json.dumps({"id": f"ping_{datetime.now(UTC).timestamp():.0f}", "type": "ping", "occurred_at": _iso(datetime.now(UTC))}, separators=(",", ":"))
    return await new_delivery(integration_id, body, event_name="ping", requested_by=requested_by)


async def _post(url: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    async with httpx.AsyncClient(timeout=webhook_settings().timeout_seconds, follow_redirects=False) as client:
        return await client.post(url, content=body, headers=headers)


async def send(delivery_id: int) -> str:
    """One try. A failure schedules the next try (its own outbox row, due after the backoff)
    until ``max_attempts``; then the delivery stays ``failed`` until someone replays it."""
    delivery = await WebhookDelivery.select().where(WebhookDelivery.id == delivery_id).first()
    if delivery is None or delivery["status"] != "pending":
        return "skipped"
    integration = await Integration.select().where(Integration.id == delivery["integration"]).first()
    if integration is None or not integration["active"]:
        await _record(delivery, "failed", error="the integration is disabled")
        return "failed"
    body = delivery["body"].encode()
    headers = {
        "Content-Type": "application/json; charset=utf-8", "User-Agent": "Jiefen-Webhooks/1",
        SIGNATURE_HEADER: sign(secret_for(integration), body), "X-Jiefen-Event": delivery["event_name"],
        "X-Jiefen-Delivery": str(delivery["id"]), "X-Jiefen-Attempt": str(delivery["attempts"] + 1),
    }
    try:
        response = await _post(integration["url"], body, headers)
    except httpx.HTTPError as exc:
        return await _failed(delivery, None, f"{type(exc).__name__}: {exc}")
    if 200 <= response.status_code < 300:
        await _record(delivery, "sent", status_code=response.status_code)
        return "sent"
    return await _failed(delivery, response.status_code, response.text[:500])


async def _failed(delivery: dict[str, Any], status_code: int | None, error: str) -> str:
    attempt = delivery["attempts"] + 1
    if attempt >= webhook_settings().max_attempts:
        await _record(delivery, "failed", status_code=status_code, error=error)
        log.warning("webhook delivery %s failed for good after %s tries", delivery["id"], attempt)
        return "failed"
    due = datetime.now(UTC) + backoff(attempt)
    async with write_transaction():
        await _record(delivery, "pending", status_code=status_code, error=error, next_attempt_at=due)
        await enqueue(SEND_JOB, {"delivery_id": delivery["id"]}, dedupe_key=f"webhook:{delivery['id']}:{attempt + 1}", available_at=due)
    return "retry"


async def _record(delivery: dict[str, Any], status: str, *, status_code: int | None = None, error: str = "",
                  next_attempt_at: datetime | None = None) -> None:
    now = datetime.now(UTC)
    values: dict[Any, Any] = {
        WebhookDelivery.status: status, WebhookDelivery.attempts: WebhookDelivery.attempts + 1,
        WebhookDelivery.last_status_code: status_code, WebhookDelivery.last_error: error[:2000],
        WebhookDelivery.next_attempt_at: next_attempt_at,
    }
    if status == "sent":
        values[WebhookDelivery.delivered_at] = now
    async with write_transaction():
        await WebhookDelivery.update(values).where(WebhookDelivery.id == delivery["id"])
