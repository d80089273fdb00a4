"""Helpers for plugin tests: register a plugin for one test, build an app that mounts its
routes, flip switches, create cases and drain the outbox."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.actors import SYSTEM
from core.plugins import jobs as plugin_jobs
from core.plugins import settings as plugin_settings
from core.plugins import web
from core.plugins.manager import forget_switches, get_manager, reset_manager
from tests.factories import PASSWORD, Api, Town, application

PROJECT = Path(__file__).resolve().parents[2]


@contextmanager
def registered(plugin: Any, name: str) -> Iterator[Any]:
    """Register ``plugin`` (a module or an object with hook methods) for the block."""
    pm = get_manager()
    pm.register(plugin, name=name)
    _forget()
    try:
        plugin_jobs.register_jobs()
        yield plugin
    finally:
        pm.unregister(name=name)
        plugin_jobs.unregister_jobs(name)
        _forget()


def _forget() -> None:
    forget_switches()
    plugin_settings.forget()
    web.forget()


@contextmanager
def plugins_dir(path: Path, **env: str) -> Iterator[None]:
    """Load the deployment's plugins again with ``JIEFEN_PLUGINS_DIR=path`` (and more env)."""
    from core.settings import get_settings

    saved = {k: os.environ.get(k) for k in ("JIEFEN_PLUGINS_DIR", *env)}
    os.environ.update({"JIEFEN_PLUGINS_DIR": str(path), **env})
    get_settings.cache_clear()
    reset_manager()
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        get_settings.cache_clear()
        reset_manager()


async def migrate_app(module: str) -> None:
    """Run a plugin's Piccolo migrations on the test database (``jiefen migrate`` does this for
    plugins present when the process starts; these tests load theirs later)."""
    from piccolo.apps.migrations.commands.forwards import run_forwards
    from piccolo.conf.apps import AppRegistry

    import core.piccolo_conf as conf

    saved = conf.APP_REGISTRY
    conf.APP_REGISTRY = AppRegistry(apps=[*saved.apps, module])
    try:
        response = await run_forwards(app_name=module.split(".")[0])
        assert response.success, response.message
    finally:
        conf.APP_REGISTRY = saved


async def switch(plugin: str, org: dict[str, Any], enabled: bool | None) -> None:
    from core.plugins.switches import set_switch

    await set_switch(SYSTEM, plugin, org["id"], enabled)


async def drain() -> int:
    from core.jobs.runner import drain as run

    return await run()


async def run_jobs() -> None:
    """Drain until nothing is left (observers queue more jobs)."""
    while await drain():
        pass


@pytest.fixture(autouse=True)
def fresh_rate_limits() -> None:
    """Each plugin test signs in several people; the login limit is per address and minute.
    Autouse here and in the plugin folders' conftests, which import it."""
    from core.ratelimit import reset_memory

    reset_memory()


async def case_in_mediation(api: Client, town: Town, **over: Any) -> tuple[dict[str, Any], Any]:
    """A case accepted, dispatched to the town's first mediator and taken: (case, mediator's Api)."""
    case = await api.new_case(town, **over)
    desk = await api.login(town.users["window"])
    accepted = await desk.act(case["id"], "accept", rights_notified=True, consent=True)
    # Registration gave the case its official number.
    case = {**case, "number": accepted["event"]["payload"]["number"]}
    await desk.act(case["id"], "dispatch", mediator_id=town.mediators[0]["id"])
    mediator = await api.login(town.mediators[0]["user"])
    await mediator.act(case["id"], "take")
    return case, mediator


async def events(case_id: int) -> list[dict[str, Any]]:
    from core.cases.tables import CaseEvent

    return await CaseEvent.select(CaseEvent.name, CaseEvent.payload, CaseEvent.actor_label, CaseEvent.to_state).where(
        CaseEvent.case == case_id
    ).order_by(CaseEvent.seq).output(load_json=True)


class Client:
    """Signs in and opens cases through an app (``make_client`` builds one after a test's
    plugins are registered, so their routes are mounted)."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        # Signing in verifies an argon2 hash (slow on purpose): once per user is enough.
        self.sessions: dict[str, Api] = {}

    async def login(self, user: dict[str, Any]) -> Api:
        if user["username"] not in self.sessions:
            resp = await self.http.post("/api/v1/auth/login", json={"username": user["username"], "password": PASSWORD})
            assert resp.status_code == 200, resp.text
            token = resp.cookies.get("jiefen_session")
            self.http.cookies.clear()
            self.sessions[user["username"]] = Api(self.http, token, resp.json()["csrf_token"], user)
        return self.sessions[user["username"]]

    async def new_case(self, town: Town, **over: Any) -> dict[str, Any]:
        api = await self.login(town.users["window"])
        resp = await api.post("/api/v1/cases/", json=application(town, **over))
        assert resp.status_code == 201, resp.text
        return resp.json()


@pytest.fixture
def session_client(client: httpx.AsyncClient) -> Client:
    """The session's app: enough for everything but a test plugin's own routes."""
    return Client(client)


@pytest.fixture
async def make_client() -> AsyncIterator[Any]:
    made: list[httpx.AsyncClient] = []

    async def make() -> Client:
        from core.api.app import create_app

        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(run_jobs=False)), base_url="http://testserver")
        made.append(http)
        return Client(http)

    yield make
    for http in made:
        await http.aclose()
