"""What every management page shares: administrators only, within their own subtree."""

from __future__ import annotations

from typing import Any

from litestar import Request

from core.actors import Actor
from core.errors import Forbidden, NotFound
from core.orgs.tables import Organisation
from web.deps import web_actor

ADMIN = frozenset({"admin"})

# Sub-pages of 管理, in the order of the tabs. Another area may append (key, label, url).
MANAGE_TABS: list[tuple[str, str, str]] = [
    ("orgs", "Organisations", "/admin/manage/orgs"),
    ("users", "Users and roles", "/admin/manage/users"),
    ("roster", "Mediator roster", "/admin/manage/roster"),
    ("types", "Dispute types", "/admin/manage/types"),
    ("plugins", "Plugin switches", "/admin/manage/plugins"),
    ("deadlines", "Deadline policies", "/admin/manage/deadlines"),
    ("keys", "API keys", "/admin/manage/keys"),
    ("webhooks", "Webhook deliveries", "/admin/manage/webhooks"),
]


async def admin_actor(request: Request[Any, Any, Any]) -> Actor:
    actor = await web_actor(request)
    if not actor.has_any(ADMIN):
        raise Forbidden()
    return actor


async def org_in_subtree(actor: Actor, org_id: int | None) -> dict[str, Any]:
    org = await Organisation.select().where(Organisation.id == (org_id or -1)).first()
    if org is None or not actor.covers(org["path"]):
        raise NotFound("Unknown organisation.")
    return org
