"""The organisation tree: see it, add a node or a handling body, switch one off."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath
from litestar.response import Redirect

from core import lookups
from core.actors import Actor
from core.db import write_transaction
from core.errors import JiefenError
from core.orgs.tables import Organisation, OrganisationType
from web.admin.common import MANAGE_TABS, admin_actor, org_in_subtree
from web.forms import FormError, flat, message_for, optional_int
from web.queries import order_tree
from web.render import page, redirect, translator


async def _context(actor: Actor, **extra: Any) -> dict[str, Any]:
    rows = await Organisation.select().where(Organisation.path.like(actor.org_path + "%")).order_by(Organisation.path)
    types = await OrganisationType.select().order_by(OrganisationType.id)
    return {
        "tabs": MANAGE_TABS, "tab": "orgs", "orgs": order_tree(rows), "org_types": types,
        "type_names": {t["code"]: (t["label_en"] if actor.locale == "en" else t["label_zh"]) for t in types},
        "error": "", "v": {}, **extra,
    }


class OrgPages(Controller):
    path = "/manage"
    dependencies = {"actor": Provide(admin_actor)}

    @get("/", name="manage")
    async def index(self) -> Redirect:
        return Redirect("/admin/manage/orgs")

    @get("/orgs", name="manage_orgs")
    async def orgs(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]) -> Any:
        return page(request, actor, "manage/orgs.html", await _context(actor))

    @post("/orgs", name="manage_orgs_create")
    async def create(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]) -> Any:
        v = flat(await request.form())
        try:
            name = v.get("name", "").strip()
            if not name:
                raise FormError("{field} is required.", "name", field=translator(actor.locale)("Name"))
            parent = await org_in_subtree(actor, optional_int(v.get("parent_id"), "parent_id"))
            otype = await OrganisationType.select().where(OrganisationType.code == v.get("type_code", "")).first()
            if otype is None:
                raise FormError("Choose a type.", "type_code")
            level = otype["tree_level"] or parent["level"]
            async with write_transaction():
                row = (await Organisation.insert(Organisation(
                    name=name[:120], short_name=v.get("short_name", "").strip()[:40] or name[:40], type_code=otype["code"],
                    parent=parent["id"], level=level, phone=v.get("phone", "").strip()[:40], address=v.get("address", "").strip()[:255],
                )).returning(Organisation.id))[0]
                await Organisation.update({Organisation.path: f"{parent['path']}{row['id']}/"}).where(Organisation.id == row["id"])
            lookups.invalidate()
        except JiefenError as exc:
            message, _field = message_for(exc, translator(actor.locale))
            return page(request, actor, "manage/orgs.html", await _context(actor, error=message, v=v), status=exc.status_code)
        return redirect(request, "/admin/manage/orgs")

    @post("/orgs/{org_id:int}/active", name="manage_orgs_active")
    async def toggle(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], org_id: FromPath[int]) -> Any:
        org = await org_in_subtree(actor, org_id)
        if org["id"] != actor.org_id:  # never switch off your own node
            await Organisation.update({Organisation.active: not org["active"]}).where(Organisation.id == org_id)
            lookups.invalidate()
        return redirect(request, "/admin/manage/orgs")
