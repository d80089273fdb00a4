"""The ASGI application."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, get
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig
from litestar.response import Redirect

from core import db
from core.api.auth import AuthController
from core.api.cases import ACTION_HANDLERS, CaseController
from core.api.evidence import EvidenceController
from core.api.headers import SecurityHeaders
from core.api.problems import document_problems
from core.api.public import PublicController
from core.api.textguard import TextGuard
from core.jobs import runner
from core.settings import get_settings


@asynccontextmanager
async def lifespan(app: Litestar) -> AsyncIterator[None]:
    from core.jobs import relay

    await db.startup()
    run_jobs = app.state.get("run_jobs", True)
    # Without Redis the app runs the jobs. With it, the workers run them and relay the outbox to
    # arq; the app relays too only where the workers cannot be woken by NOTIFY (SQLite).
    redis = bool(get_settings().redis_url)
    in_process, relaying = run_jobs and not redis, run_jobs and redis and relay.app_relays()
    if in_process:
        runner.start_in_process()
    if relaying:
        relay.start()
    try:
        yield
    finally:
        if in_process:
            await runner.stop_in_process()
        if relaying:
            await relay.stop()
        await db.shutdown()


@get("/", include_in_schema=False)
async def root() -> Redirect:
    return Redirect("/admin/")


@get("/healthz", include_in_schema=False)
async def healthz() -> dict[str, Any]:
    return {"ok": True}


# Areas that add routes expose ``ROUTES`` (a list of handlers/controllers) in one of these modules.
ROUTE_MODULES: list[str] = ["core.api.health", "core.plugins.api", "core.notifications.api", "core.deadlines.api", "core.reports.api", "web.routes", "core.parties.routes", "core.integrations.routes", "core.agreements.routes"]


def _area_routes() -> list[Any]:
    import importlib

    routes: list[Any] = []
    for name in ROUTE_MODULES:
        routes.extend(importlib.import_module(name).ROUTES)
    return routes


def create_app(*, run_jobs: bool = True) -> Litestar:
    import core.cases.effects  # noqa: F401  (registers the effects on the lifecycle)
    import core.jobs.registry  # noqa: F401
    from core.plugins import host as plugin_host
    from core.plugins import web as plugin_web

    settings = get_settings()
    plugin_host.boot()  # loads plugins; bad plugin settings stop here, naming the variable
    from litestar.plugins.htmx import HTMXPlugin

    from web import deps
    from web import template_config as admin_templates

    app = Litestar(
        route_handlers=[
            root, healthz, CaseController, *ACTION_HANDLERS, PublicController, AuthController, EvidenceController,
            *_area_routes(), *plugin_web.plugin_routers(), *plugin_web.static_routers(),
        ],
        # Errors no route answered: under /admin/ the admin's HTML pages, elsewhere problems.
        exception_handlers=deps.app_handlers(),
        lifespan=[lifespan],
        on_startup=[plugin_host.run_startup, _freeze_startup_objects],
        openapi_config=OpenAPIConfig(title="Jiefen 解纷 API", version="1.0.0", path="/schema"),
        request_max_body_size=settings.max_upload_bytes + 1024 * 1024,
        state=State({"run_jobs": run_jobs}),
        template_config=admin_templates(),
        plugins=[HTMXPlugin()],
        middleware=[SecurityHeaders(), TextGuard()],
    )
    document_problems(app)
    _render_yaml_schema_once(app)
    return app


def _freeze_startup_objects() -> None:
    """What start-up built (routes, schemas, templates, plugins, caches of the catalogues) lives
    as long as the process: kept out of the collector's sight, a full collection no longer
    walks it on some unlucky request (170–470 ms pauses in the dashboard bench's p99). Once per
    process: cycles among frozen objects are never collected, and tests build many apps."""
    global _frozen
    if not _frozen:
        gc.collect()
        gc.freeze()
        _frozen = True


_frozen = False


def _render_yaml_schema_once(app: Litestar) -> None:
    """/schema/openapi.yaml (and .yml) dumped the whole document to YAML on every request:
    1.7 s of CPU for anyone, signed in or not. The document is built once per process and
    never changes, so its YAML is rendered once too."""
    from litestar.openapi.plugins import YamlRenderPlugin

    for plugin in app.openapi_config.render_plugins if app.openapi_config else ():
        if isinstance(plugin, YamlRenderPlugin):
            render, last = plugin.render, []

            def render_once(request: Any, schema: dict[str, Any], render: Any = render, last: list[Any] = last) -> bytes:
                if not last or last[0] is not schema:
                    last[:] = [schema, render(request, schema)]
                return last[1]  # type: ignore[no-any-return]

            plugin.render = render_once  # type: ignore[method-assign]
