"""Helpers for the integration tests: an admin, keys made through the API, and a tiny
webhook receiver (aiohttp on 127.0.0.1) that records what it gets."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web

from tests.factories import make_user


async def make_admin(town: Any, login: Any) -> Any:
    return await login(await make_user(town.town, ["admin"], "管理员"))


@pytest.fixture
async def admin(town, login):
    return await make_admin(town, login)


async def make_key(admin: Any, town: Any, scopes: list[str], **over: Any) -> dict[str, Any]:
    body = {"name": "12345热线", "organisation_id": town.town["id"], "scopes": scopes, **over}
    resp = await admin.post("/api/v1/integrations/keys", json=body)
    assert resp.status_code == 201, resp.text
    return resp.json()


class Receiver:
    """Answers with the next status in ``statuses`` (then 200) and keeps every request."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.statuses: list[int] = []
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append({"headers": dict(request.headers), "body": await request.read()})
        status = self.statuses.pop(0) if self.statuses else 200
        return web.Response(status=status, text="ok" if status < 300 else "down")

    async def start(self) -> Receiver:
        app = web.Application()
        app.router.add_post("/hook", self.handle)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/hook"
        return self

    async def stop(self) -> None:
        if self.runner:
            await self.runner.cleanup()


@pytest.fixture
async def receiver():
    r = await Receiver().start()
    yield r
    await r.stop()


@pytest.fixture(autouse=True)
def observer():
    # The plugin tests may rebuild the plugin manager; put the webhook observer back.
    from core.integrations.observer import ensure_registered

    ensure_registered()


async def run_jobs() -> None:
    from core.jobs.runner import drain

    while await drain():
        pass


@pytest.fixture(autouse=True)
def fresh_rate_limits() -> None:
    # Sign-ins and codes share 127.0.0.1 across the run; each test starts with clean counters.
    from core.ratelimit import reset_memory

    reset_memory()
