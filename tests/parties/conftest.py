"""Helpers for the party tests: captured codes, a client per test from its own address,
and the application and lifecycle steps the tests share."""

from __future__ import annotations

import random
import uuid
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from tests.factories import Town


class Codes:
    """Stands in for the SMS channel: keeps what would have been sent."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    async def send(self, phone: str, code: str, *, purpose: str, minutes: int, locale: str = "zh_CN", key: str = "") -> str:
        self.sent.append({"phone": phone, "code": code, "purpose": purpose})
        return "test"

    def last(self, phone: str | None = None) -> str:
        found = [s for s in self.sent if phone is None or s["phone"] == phone]
        assert found, f"no code was sent to {phone}"
        return found[-1]["code"]


def capture_codes(monkeypatch: pytest.MonkeyPatch) -> Codes:
    from core.parties import sender

    captured = Codes()
    monkeypatch.setattr(sender, "send_code", captured.send)
    return captured


@pytest.fixture
def codes(monkeypatch: pytest.MonkeyPatch) -> Codes:
    return capture_codes(monkeypatch)


def mobile() -> str:
    return "13" + f"{random.randrange(10**9):09d}"


def random_ip() -> str:
    return "10." + ".".join(str(random.randrange(1, 255)) for _ in range(3))


@asynccontextmanager
async def party_client(app: Any, ip: str | None = None) -> Any:
    """A client with its own cookie jar and client address (throttles count per address)."""
    transport = httpx.ASGITransport(app=app, client=(ip or random_ip(), 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
async def pc(app: Any) -> Any:
    async with party_client(app) as client:
        yield client


def body(town: Town, phone: str, code: str, **over: Any) -> dict[str, Any]:
    data = {
        "centre_id": town.town["id"], "dispute_type": "labour", "description": "工厂拖欠我三个月工资,共一万二千元。",
        "applicant": {"name": "王小明", "phone": phone},
        "respondent": {"name": "某某毛织厂", "phone": "076983330000", "kind": "company"},
        "code": code, "agree_privacy": True, "mediator_id": town.mediators[0]["id"],
        "preferred_time": "2026-12-02 09:30", "preferred_mode": "video", "preferred_place": "镇调处中心",
    }
    data.update(over)
    return data


async def apply_online(client: Any, codes: Codes, town: Town, phone: str | None = None, **over: Any) -> dict[str, Any]:
    phone = phone or mobile()
    sent = await client.post("/api/v1/party/codes", json={"phone": phone})
    assert sent.status_code == 202, sent.text
    resp = await client.post(
        "/api/v1/party/applications", json=body(town, phone, codes.last(phone), **over),
        headers={"Idempotency-Key": uuid.uuid4().hex},
    )
    assert resp.status_code == 201, resp.text
    return {**resp.json(), "phone": phone}


async def open_session(client: Any, codes: Codes, token: str, phone: str) -> str:
    sent = await client.post("/api/v1/party/tracking/code", json={"token": token})
    assert sent.status_code == 202, sent.text
    resp = await client.post("/api/v1/party/tracking/session", json={"token": token, "code": codes.last(phone)})
    assert resp.status_code == 201, resp.text
    return resp.json()["session_token"]


async def drive_to_agreed(login: Any, town: Town, case_id: int) -> dict[str, Any]:
    """Accept, dispatch to mediator 0, take, agree; returns the mediator's user."""
    desk = await login(town.users["window"])
    await desk.act(case_id, "accept", rights_notified=True, consent=True)
    mediator = town.mediators[0]
    await desk.act(case_id, "dispatch", mediator_id=mediator["id"])
    worker = await login(mediator["user"])
    await worker.act(case_id, "take")
    await worker.act(
        case_id, "agree", facts="欠薪三个月", matters="工资数额与支付期限",
        terms=[{"obligor": "某某毛织厂", "obligee": "王小明", "what": "支付工资", "amount": "12000.00", "due_date": "2026-12-31"}],
    )
    return mediator["user"]


@pytest.fixture(autouse=True)
def fresh_rate_limits() -> None:
    # Sign-ins and codes share 127.0.0.1 across the run; each test starts with clean counters.
    from core.ratelimit import reset_memory

    reset_memory()
