"""API keys, the webhook delivery log and deadline-policy rules, for county and town
administrators. Each page is the JSON API's logic (core.integrations, core.deadlines.api)
behind plain forms: they work with JavaScript off, and hx-boost makes them HTMX."""

from __future__ import annotations

import json
from typing import Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath

from core.actors import Actor
from core.deadlines import DEFAULT_POLICIES
from core.deadlines.api import RuleIn, remove_rule, save_rule
from core.deadlines.policy import UNITS
from core.deadlines.tables import DeadlinePolicyRule
from core.errors import Forbidden, JiefenError, NotFound, ValidationFailed
from core.integrations import keys, webhooks
from core.integrations.tables import Integration, WebhookDelivery
from core.orgs.tables import Organisation
from web import queries
from web.admin.common import MANAGE_TABS, admin_actor
from web.forms import FormError, checked, flat, message_for, optional_int
from web.render import page, redirect, translator

# The administrative levels whose administrators manage integrations and deadline rules.
MANAGING_LEVELS = ("county", "town")
LEVELS = ("county", "town", "village")
DELIVERY_PAGE = 100


async def level_admin(request: Request[Any, Any, Any]) -> Actor:
    """An administrator of a county or a town (not of a village or a department)."""
    actor = await admin_actor(request)
    org = await Organisation.select(Organisation.type_code).where(Organisation.id == (actor.org_id or -1)).first()
    if org is None or org["type_code"] not in MANAGING_LEVELS:
        raise Forbidden()
    return actor


async def _managed_orgs(actor: Actor) -> list[dict[str, Any]]:
    return [o for o in await queries.subtree(actor) if o["type_code"] not in ("grid",)]


async def _keys_context(actor: Actor, **extra: Any) -> dict[str, Any]:
    rows = await keys.list_keys(actor)
    names = {o["id"]: o["name"] for o in await _managed_orgs(actor)}
    for r in rows:
        r["organisation_name"] = names.get(r["organisation_id"], "")
    return {
        "tabs": MANAGE_TABS, "tab": "keys", "keys": rows, "orgs": await _managed_orgs(actor),
        "scopes": keys.OWN_SCOPES, "key_roles": sorted(keys.KEY_ROLES), "error": "", "error_field": "",
        "v": {"scopes": [], "roles": ["grid_worker"], "rate_limit_per_minute": "120"}, "issued": None, **extra,
    }


async def _webhooks_context(actor: Actor, status: str, integration_id: int | None, **extra: Any) -> dict[str, Any]:
    integrations = await Integration.select(
        *Integration.all_columns(), Integration.organisation.name.as_alias("organisation_name"),
    ).where(Integration.organisation.path.like(actor.org_path + "%")).order_by(Integration.id)
    ids = [i["id"] for i in integrations]
    if integration_id is not None:
        ids = [i for i in ids if i == integration_id]
    where = WebhookDelivery.integration.is_in(ids or [-1])
    if status:
        where &= WebhookDelivery.status == status
    deliveries = await WebhookDelivery.select(
        *[c for c in WebhookDelivery.all_columns() if c._meta.name != "body"],
    ).where(where).order_by(WebhookDelivery.id, ascending=False).limit(DELIVERY_PAGE)
    names = {i["id"]: i["name"] for i in integrations}
    for d in deliveries:
        d["integration_name"] = names.get(d["integration"], "")
    for i in integrations:
        i["events"] = i["events"] if isinstance(i["events"], list) else json.loads(i["events"] or "[]")
    return {
        "tabs": MANAGE_TABS, "tab": "webhooks", "integrations": integrations, "deliveries": deliveries,
        "status": status, "integration_id": integration_id, "error": "", **extra,
    }


async def _deadlines_context(actor: Actor, **extra: Any) -> dict[str, Any]:
    policies = [
        {"kind": p.kind, "duration": p.duration, "unit": p.unit, "starts_on": sorted(p.starts_on), "stops_on": sorted(p.stops_on)}
        for p in DEFAULT_POLICIES
    ]
    rules = await DeadlinePolicyRule.select(
        *DeadlinePolicyRule.all_columns(), DeadlinePolicyRule.organisation.name.as_alias("org_name"),
        DeadlinePolicyRule.organisation.path.as_alias("org_path"),
    ).order_by(DeadlinePolicyRule.id)
    # Rules at and above this level apply here; only those in the subtree may be changed.
    rules = [r for r in rules if (r["org_path"] or "\0").startswith(actor.org_path) or actor.org_path.startswith(r["org_path"] or "\0")]
    for r in rules:
        r["editable"] = actor.covers(r["org_path"])
    types = await queries.dispute_types(active_only=False)
    towns = [o for o in await queries.subtree(actor, tree_only=True) if o["type_code"] in MANAGING_LEVELS]
    return {
        "tabs": MANAGE_TABS, "tab": "deadlines", "policies": policies, "rules": rules, "types": [t for t in types if t["active"]],
        "type_label": queries.type_label(types, actor.locale), "towns": towns, "kinds": [p.kind for p in DEFAULT_POLICIES],
        "units": UNITS, "levels": LEVELS, "error": "", "error_field": "",
        "v": {"organisation_id": str(actor.org_id or ""), "enabled": "on"}, **extra,
    }


class IntegrationPages(Controller):
    path = "/manage"
    dependencies = {"actor": Provide(level_admin)}

    # -- API keys -------------------------------------------------------------------------
    @get("/keys", name="manage_keys")
    async def key_list(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]) -> Any:
        return page(request, actor, "manage/keys.html", await _keys_context(actor))

    @post("/keys", name="manage_keys_create")
    async def key_create(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]) -> Any:
        form = await request.form()
        v: dict[str, Any] = flat(form)
        v["scopes"] = [s for s in form.getall("scopes", []) if isinstance(s, str)]
        v["roles"] = [s for s in form.getall("roles", []) if isinstance(s, str)]
        _ = translator(actor.locale)
        try:
            if not v.get("name", "").strip():
                raise FormError("{field} is required.", "name", field=_("Name"))
            if not v["scopes"]:
                raise FormError("Choose at least one permission.", "scopes")
            limit = optional_int(v.get("rate_limit_per_minute"), "rate_limit_per_minute") or 120
            if not 1 <= limit <= 100000:
                raise FormError("Enter a number from {low} to {high}.", "rate_limit_per_minute", low=1, high=100000)
            data = keys.KeyIn(
                name=v["name"].strip()[:80], organisation_id=optional_int(v.get("organisation_id"), "organisation_id") or -1,
                scopes=v["scopes"], roles=v["roles"] or ["grid_worker"], rate_limit_per_minute=limit,
            )
            issued = await keys.create_key(actor, data, ip=request.client.host if request.client else "")
        except JiefenError as exc:
            message, field = message_for(exc, _)
            ctx = await _keys_context(actor, error=message, error_field=field, v=v)
            return page(request, actor, "manage/keys.html", ctx, status=exc.status_code)
        # The key is in this answer only: it is stored as a hash.
        return page(request, actor, "manage/keys.html", await _keys_context(actor, issued=issued))

    @post("/keys/{key_id:int}/revoke", name="manage_keys_revoke")
    async def key_revoke(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], key_id: FromPath[int]) -> Any:
        await keys.revoke_key(actor, key_id, ip=request.client.host if request.client else "")
        return redirect(request, "/admin/manage/keys")

    # -- Webhook deliveries -----------------------------------------------------------------
    @get("/webhooks", name="manage_webhooks")
    async def delivery_log(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]) -> Any:
        status = request.query_params.get("status", "")
        if status not in ("", "pending", "sent", "failed"):
            status = ""
        integration = optional_int(request.query_params.get("integration"), "integration")
        return page(request, actor, "manage/webhooks.html", await _webhooks_context(actor, status, integration))

    @post("/webhooks/deliveries/{delivery_id:int}/retry", name="manage_webhooks_retry")
    async def delivery_retry(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], delivery_id: FromPath[int]) -> Any:
        found = await WebhookDelivery.select(
            *WebhookDelivery.all_columns(), WebhookDelivery.integration.organisation.path.as_alias("org_path"),
        ).where(WebhookDelivery.id == delivery_id).first()
        if found is None or not actor.covers(found["org_path"]):
            raise NotFound()
        if found["status"] == "pending":
            _ = translator(actor.locale)
            ctx = await _webhooks_context(actor, "", None, error=_("This delivery is still being tried."))
            return page(request, actor, "manage/webhooks.html", ctx, status=409)
        await webhooks.replay(found, actor.label)
        back = "/admin/manage/webhooks"
        query = request.url.query
        return redirect(request, back + (f"?{query}" if query else ""))

    # -- Deadline policies ------------------------------------------------------------------
    @get("/deadlines", name="manage_deadlines")
    async def deadlines(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]) -> Any:
        return page(request, actor, "manage/deadlines.html", await _deadlines_context(actor))

    @post("/deadlines", name="manage_deadlines_save")
    async def deadline_save(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]) -> Any:
        v = flat(await request.form())
        _ = translator(actor.locale)
        try:
            duration = optional_int(v.get("duration"), "duration")
            if duration is None:
                raise FormError("{field} is required.", "duration", field=_("Time allowed"))
            if not 1 <= duration <= 10000:
                raise FormError("Enter a number from {low} to {high}.", "duration", low=1, high=10000)
            if v.get("unit") not in UNITS:
                raise FormError("{field} is required.", "unit", field=_("Unit"))
            if v.get("kind") not in {p.kind for p in DEFAULT_POLICIES}:
                raise FormError("{field} is required.", "kind", field=_("Deadline"))
            if v.get("level", "") not in ("", *LEVELS):
                raise FormError("{field} is required.", "level", field=_("Level"))
            try:
                data = msgspec.convert({
                    "organisation_id": optional_int(v.get("organisation_id"), "organisation_id") or -1, "kind": v["kind"],
                    "dispute_type": v.get("dispute_type", ""), "level": v.get("level", ""), "enabled": checked(v, "enabled"),
                    "duration": duration, "unit": v["unit"],
                }, RuleIn)
            except msgspec.ValidationError as exc:
                raise ValidationFailed(errors=[{"message": str(exc)}]) from exc
            await save_rule(actor, data)
        except JiefenError as exc:
            message, field = message_for(exc, _)
            ctx = await _deadlines_context(actor, error=message, error_field=field, v=v)
            return page(request, actor, "manage/deadlines.html", ctx, status=exc.status_code)
        return redirect(request, "/admin/manage/deadlines")

    @post("/deadlines/{rule_id:int}/delete", name="manage_deadlines_delete")
    async def deadline_delete(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], rule_id: FromPath[int]) -> Any:
        await remove_rule(actor, rule_id)
        return redirect(request, "/admin/manage/deadlines")

