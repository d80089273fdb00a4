"""The queue: the cases of the user's subtree with filters, search, sort and a cursor."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency, Provide
from litestar.response import Redirect

from core.actors import Actor
from core.cases.lifecycle import STATES
from core.cases.tables import CHANNELS, RISK_LEVELS
from web import queries
from web.deps import web_actor
from web.render import hx_target, page


class QueuePages(Controller):
    path = "/"
    dependencies = {"actor": Provide(web_actor)}

    @get("/", name="home")
    async def home(self) -> Redirect:
        return Redirect("/admin/cases")

    @get("/cases", name="case_list")
    async def case_list(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]) -> Any:
        filters = queries.QueueFilters.from_query(request.query_params)
        result = await queries.queue(filters, actor, limit=queries.PAGE_SIZE)
        types = await queries.dispute_types(active_only=False)
        context = {
            "f": filters, "result": result, "states": STATES, "channels": CHANNELS, "risks": RISK_LEVELS,
            "types": [t for t in types if t["active"]], "type_label": queries.type_label(types, actor.locale),
            "places": await queries.subtree(actor, tree_only=True),
        }
        target = hx_target(request)
        if target == "case_more":  # "more" replaces itself with the next page of rows
            return page(request, actor, "queue.html", context, block="case_rows")
        if target == "case_list":
            return page(request, actor, "queue.html", context, block="case_list")
        return page(request, actor, "queue.html", context)
