"""Dispute types and plugin switches per town (deadline policies: web/admin/integrations.py)."""

from __future__ import annotations

import re
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath

from core import lookups
from core.actors import Actor
from core.errors import Conflict, JiefenError, NotFound
from core.plugins import switches
from core.roster import types as dispute_types
from core.roster.tables import DisputeType
from web import queries
from web.admin.common import MANAGE_TABS, admin_actor
from web.forms import FormError, checked, flat, message_for, optional_int
from web.render import page, redirect, translator


async def _types_context(actor: Actor, **extra: Any) -> dict[str, Any]:
    return {"tabs": MANAGE_TABS, "tab": "types", "types": await dispute_types.types_for(actor), "error": "", "v": {}, **extra}


class ReferencePages(Controller):
    path = "/manage"
    dependencies = {"actor": Provide(admin_actor)}

    @get("/types", name="manage_types")
    async def types(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]) -> Any:
        return page(request, actor, "manage/types.html", await _types_context(actor))

    @post("/types", name="manage_types_create")
    async def create_type(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]) -> Any:
        v = flat(await request.form())
        try:
            code = v.get("code", "").strip().lower()
            if not re.fullmatch(r"[a-z][a-z0-9_]{1,39}", code):
                raise FormError("The code uses lower-case letters, digits and _ (e.g. fishing_rights).", "code")
            if not v.get("label_zh", "").strip():
                raise FormError("{field} is required.", "label_zh", field=translator(actor.locale)("Chinese name"))
            if await DisputeType.exists().where(DisputeType.code == code):
                raise Conflict("This code is taken.")
            last = await DisputeType.select(DisputeType.sort_order).order_by(DisputeType.sort_order, ascending=False).first()
            await DisputeType.insert(DisputeType(
                code=code, label_zh=v["label_zh"].strip()[:60], label_en=v.get("label_en", "").strip()[:80] or code,
                sensitive=checked(v, "sensitive"), sort_order=(last["sort_order"] if last else 0) + 10, added_by="admin",
                # Owned by the adding organisation: its administrators switch it, not every county's.
                organisation=actor.org_id,
            ))
            lookups.invalidate()
        except JiefenError as exc:
            message, _field = message_for(exc, translator(actor.locale))
            return page(request, actor, "manage/types.html", await _types_context(actor, error=message, v=v), status=exc.status_code)
        return redirect(request, "/admin/manage/types")

    @post("/types/{code:str}/active", name="manage_types_active")
    async def toggle_type(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], code: FromPath[str]) -> Any:
        try:
            await dispute_types.set_active(actor, code, ip=request.client.host if request.client else "")
        except NotFound:
            raise
        except JiefenError as exc:
            message, _field = message_for(exc, translator(actor.locale))
            return page(request, actor, "manage/types.html", await _types_context(actor, error=message), status=exc.status_code)
        return redirect(request, "/admin/manage/types")

    @get("/plugins", name="manage_plugins")
    async def plugins(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]) -> Any:
        return page(request, actor, "manage/plugins.html", await self._plugins_context(actor))

    @post("/plugins", name="manage_plugins_set")
    async def set_plugin(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]) -> Any:
        v = flat(await request.form())
        state = v.get("state", "")
        enabled = True if state == "on" else False if state == "off" else None
        try:
            await switches.set_switch(actor, v.get("plugin", ""), optional_int(v.get("organisation_id"), "organisation_id") or -1, enabled, v.get("note", "")[:500])
        except JiefenError as exc:
            message, _field = message_for(exc, translator(actor.locale))
            return page(request, actor, "manage/plugins.html", await self._plugins_context(actor, error=message), status=exc.status_code)
        return redirect(request, "/admin/manage/plugins")

    @staticmethod
    async def _plugins_context(actor: Actor, **extra: Any) -> dict[str, Any]:
        towns = [o for o in await queries.subtree(actor, tree_only=True) if o["type_code"] in ("county", "town")]
        return {"tabs": MANAGE_TABS, "tab": "plugins", "plugins": await switches.list_switches(actor), "towns": towns, "error": "", **extra}
