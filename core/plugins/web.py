"""What plugins add to the web app: routes behind a per-town guard, static files, templates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from litestar import Router
from litestar.connection import ASGIConnection
from litestar.exceptions import NotFoundException
from litestar.handlers import BaseRouteHandler
from litestar.static_files import create_static_files_router

from core.plugins.manager import PluginLoadError, collect, enabled_for_path

_env: jinja2.Environment | None = None


def route_prefixes(plugin: str) -> tuple[str, str]:
    return (f"/api/v1/plugins/{plugin}", f"/admin/plugins/{plugin}")


async def _actor_path(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    """The organisation path that decides for this requester; None for an anonymous one."""
    from core.api.deps import optional_actor

    actor = await optional_actor(connection)  # type: ignore[arg-type]
    if actor is None or actor.is_system:
        return None
    if actor.kind == "party":
        from core.cases.tables import Case

        case = await Case.select(Case.org_path).where(Case.id == (actor.case_id or -1)).first()
        return case["org_path"] if case else ""
    return actor.org_path


def guard_for(plugin: str) -> Any:
    async def plugin_enabled(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        # 404, not 403: where the plugin is off its pages do not exist. Anonymous requests pass;
        # the plugin's own handlers ask for a signed-in actor where they need one.
        path = await _actor_path(connection)
        if path is not None and not await enabled_for_path(plugin, path):
            raise NotFoundException()

    plugin_enabled.__name__ = f"plugin_enabled_{plugin}"
    return plugin_enabled


def plugin_routers() -> list[Router]:
    """One router per plugin with routes, carrying its guard; paths must sit under its prefixes."""
    routers = []
    for plugin, handlers in collect("register_routes"):
        if not handlers:
            continue
        router = Router(path="/", route_handlers=list(handlers), guards=[guard_for(plugin)], tags=[f"plugin:{plugin}"])
        prefixes = route_prefixes(plugin)
        for route in router.routes:
            if not any(route.path == p or route.path.startswith(p + "/") for p in prefixes):
                raise PluginLoadError(
                    f"Jiefen cannot start: plugin {plugin} serves {route.path}; "
                    f"its routes must sit under {prefixes[0]}/ or {prefixes[1]}/"
                )
        routers.append(router)
    return routers


def static_routers() -> list[Router]:
    """``/static/plugins/<name>/<sub-prefix>/`` for each directory a plugin declares (not guarded:
    stylesheets and scripts only, no town's data)."""
    routers = []
    for plugin, dirs in collect("static_dirs"):
        for prefix, directory in (dirs or {}).items():
            sub = str(prefix).strip("/")
            path = f"/static/plugins/{plugin}" + (f"/{sub}" if sub else "")
            routers.append(
                create_static_files_router(path=path, directories=[Path(directory)], name=f"static:{plugin}:{sub}")
            )
    return routers


def template_dirs() -> list[Path]:
    """Every plugin's template directories, latest-registered plugin first."""
    found: list[Path] = []
    for _plugin, dirs in reversed(collect("template_dirs")):
        found.extend(Path(d) for d in dirs or [])
    return found


def environment() -> jinja2.Environment:
    """An autoescaping Jinja environment over the plugins' template directories."""
    global _env
    if _env is None:
        _env = jinja2.Environment(
            loader=jinja2.FileSystemLoader([str(d) for d in template_dirs()]),
            autoescape=True, undefined=jinja2.StrictUndefined,
        )
    return _env


def render_template(name: str, /, **context: Any) -> str:
    """Render a plugin template (``<plugin>/panel.html``) to a string, autoescaped."""
    return environment().get_template(name).render(**context)


def forget() -> None:
    global _env
    _env = None
