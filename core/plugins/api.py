"""JSON API of the plugin host: switches per organisation, failed deliveries, and what plugins
show on a case page or dashboard (for headless clients; the admin calls ``core.plugins.ui``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, TypedDict

import msgspec
from litestar import Controller, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody

from core.actors import Actor
from core.api.deps import current_actor
from core.auth.service import require_scope
from core.cases.access import can_see
from core.cases.service import get_case
from core.cases.tables import Case
from core.errors import NotFound
from core.orgs.tables import Organisation
from core.plugins import deliveries, switches, ui


class SwitchRow(TypedDict):
    plugin: str
    enabled: bool
    note: str
    changed_by: int | None
    changed_at: datetime
    organisation_id: int
    organisation_name: str
    path: str
    inherited: bool  # set above the caller's organisation: not changeable from here


class PluginSwitches(TypedDict):
    name: str
    version: str
    origin: str
    default_enabled: bool
    enabled_here: bool
    switches: list[SwitchRow]


class PluginDelivery(TypedDict):
    id: int
    case_id: int | None
    status: str
    attempts: int
    last_error: str
    created_at: datetime
    available_at: datetime
    plugin: str | None
    event_id: int | None


class Queued(TypedDict):
    queued: int


class PluginItem(TypedDict):
    """An action, panel or widget: its other keys are the plugin's (see docs/plugins)."""

    plugin: str


class CaseContributions(TypedDict):
    actions: list[PluginItem]
    panels: list[PluginItem]


class SwitchIn(msgspec.Struct):
    plugin: Annotated[str, msgspec.Meta(min_length=1, max_length=60)]
    organisation_id: int
    # None removes the switch: the node inherits from above again.
    enabled: bool | None
    note: Annotated[str, msgspec.Meta(max_length=500)] = ""


class RetryIn(msgspec.Struct):
    ids: list[int] | None = None
    plugin: str | None = None


class PluginHostController(Controller):
    path = "/api/v1/plugins"
    tags = ["plugins"]
    dependencies = {"actor": Provide(current_actor)}

    @get("/switches", summary="Plugins and their switches in your subtree")
    async def list_switches(self, actor: NamedDependency[Actor]) -> list[PluginSwitches]:
        require_scope(actor, "switches:read")
        return await switches.list_switches(actor)

    @put("/switches", summary="Turn a plugin on or off for an organisation and below")
    async def set_switch(self, actor: NamedDependency[Actor], data: JSONBody[SwitchIn]) -> PluginSwitches:
        require_scope(actor, "switches:write")
        return await switches.set_switch(actor, data.plugin, data.organisation_id, data.enabled, data.note)

    @get("/deliveries", summary="Event deliveries to plugin observers")
    async def list_deliveries(self, actor: NamedDependency[Actor], failed: FromQuery[bool] = False, plugin: FromQuery[str | None] = None) -> list[PluginDelivery]:
        require_scope(actor, "deliveries:read")
        switches.ensure_admin(actor)
        rows = await deliveries.list_deliveries(failed=failed, plugin=plugin)
        return [row for row in rows if await _visible(actor, row["case_id"])]

    @post("/deliveries/retry", summary="Queue failed deliveries again", status_code=200)
    async def retry(self, actor: NamedDependency[Actor], data: JSONBody[RetryIn]) -> Queued:
        require_scope(actor, "deliveries:retry")
        switches.ensure_admin(actor)
        rows = await deliveries.list_deliveries(failed=True, plugin=data.plugin, limit=10_000)
        mine = [r["id"] for r in rows if await _visible(actor, r["case_id"]) and (data.ids is None or r["id"] in data.ids)]
        return {"queued": await deliveries.retry(mine) if mine else 0}

    @get("/cases/{case_id:int}", summary="Plugin actions and panels for a case")
    async def case_contributions(self, actor: NamedDependency[Actor], case_id: FromPath[int]) -> CaseContributions:
        require_scope(actor, "cases:read")
        case = await get_case(case_id, actor)
        return await ui.case_contributions(case, actor)

    @get("/widgets", summary="Plugin widgets for a dashboard")
    async def widgets(self, actor: NamedDependency[Actor], organisation_id: FromQuery[int | None] = None) -> list[PluginItem]:
        require_scope(actor, "reports:read")
        org = await Organisation.select().where(Organisation.id == (organisation_id or actor.org_id or -1)).first()
        if org is None or not (actor.is_system or actor.covers(org["path"])):
            raise NotFound("Unknown organisation.")
        return await ui.dashboard_widgets(org, actor)


async def _visible(actor: Actor, case_id: int | None) -> bool:
    if actor.is_system:
        return True
    case = await Case.select(Case.id, Case.org_path, Case.place_path, Case.assigned_org_path).where(Case.id == (case_id or -1)).first()
    return case is not None and can_see(actor, case)


ROUTES = [PluginHostController]
