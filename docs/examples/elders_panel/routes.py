"""The panel's API (JSON) and admin fragments (HTML). The host puts both behind a guard that
answers 404 where the plugin is off for the requester's town."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, MediaType, Request, Response, get, post
from litestar.di import Provide

from core.plugins import Actor, current_actor, get_case, page
from elders_panel import services


class ElderIn(msgspec.Struct):
    village_id: int
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=60)]
    phone: str = ""
    title: str = ""


class InviteIn(msgspec.Struct):
    elder_ids: list[int] | None = None  # None: the whole panel of the case's village
    note: str = ""


class OpinionIn(msgspec.Struct):
    opinion: Annotated[str, msgspec.Meta(min_length=1, max_length=4000)]


class ElderPanelApi(Controller):
    path = "/api/v1/plugins/elders_panel"
    tags = ["elders_panel"]
    dependencies = {"actor": Provide(current_actor)}

    @post("/elders", status_code=201)
    async def add_elder(self, actor: Actor, data: ElderIn) -> dict[str, Any]:
        return await services.add_elder(actor, data.village_id, data.name, data.phone, data.title)

    @get("/cases/{case_id:int}")
    async def case_panel(self, actor: Actor, case_id: int) -> dict[str, Any]:
        case = await get_case(case_id, actor)  # 404 unless the actor may see the case
        return {"elders": await services.elders_of(case["place"]), "invitations": await services.invitations(case_id)}

    @post("/cases/{case_id:int}/invite", status_code=201)
    async def invite(self, actor: Actor, case_id: int, data: InviteIn) -> list[dict[str, Any]]:
        return await services.invite(await get_case(case_id, actor), actor, data.elder_ids, data.note)

    @post("/cases/{case_id:int}/opinion", status_code=200)
    async def opinion(self, actor: Actor, case_id: int, data: OpinionIn) -> list[dict[str, Any]]:
        return await services.record_opinion(await get_case(case_id, actor), actor, data.opinion)


class ElderPanelAdmin(Controller):
    path = "/admin/plugins/elders_panel"
    include_in_schema = False
    dependencies = {"actor": Provide(current_actor)}

    @get("/elders", media_type=MediaType.HTML)
    async def elders_page(self, request: Request[Any, Any, Any], actor: Actor) -> Response[str]:
        # The navigation's page: the admin's layout around the plugin's own template.
        return await page(request, actor, "elders_panel/elders.html", elders=await services.elders_near(actor))

    @get("/cases/{case_id:int}/panel", media_type=MediaType.HTML)
    async def panel(self, actor: Actor, case_id: int) -> str:
        return (await services.panel(await get_case(case_id, actor), actor))["html"]

    @post("/cases/{case_id:int}/invite", media_type=MediaType.HTML, status_code=200)
    async def invite(self, actor: Actor, case_id: int) -> str:
        """The case page's button (HTMX): invite the whole panel, answer the fresh panel."""
        case = await get_case(case_id, actor)
        await services.invite(case, actor)
        return (await services.panel(case, actor))["html"]


ROUTES = [ElderPanelApi, ElderPanelAdmin]
