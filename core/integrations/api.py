"""``/api/v1/integrations``: API keys (create shows the key once, list, revoke), webhook
integrations (create shows the secret once), the delivery log and replay, and a town's
Open311 services. Staff admins manage their subtree; an integration's own key (scopes
``webhooks:read`` / ``webhooks:replay``) may read and replay its deliveries."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, TypedDict

import msgspec
from litestar import Controller, Request, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from msgspec import Meta, Struct

from core.actors import Actor
from core.api.deps import current_actor
from core.auth.service import require_scope
from core.db import write_transaction
from core.errors import Forbidden, NotFound, ValidationFailed
from core.integrations import keys, open311, webhooks
from core.integrations.tables import Integration, Open311Service, WebhookDelivery

Code = Annotated[str, Meta(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_\-.]+$")]


class IntegrationIn(Struct, kw_only=True, forbid_unknown_fields=True):
    name: Annotated[str, Meta(min_length=1, max_length=80)]
    organisation_id: int
    url: Annotated[str, Meta(min_length=8, max_length=500, pattern=r"^https?://")]
    api_key_id: int | None = None
    events: Annotated[list[Annotated[str, Meta(max_length=60)]], Meta(min_length=1, max_length=100)] = msgspec.field(default_factory=lambda: ["*"])
    scope: Literal["own", "subtree"] = "own"


class ServiceIn(Struct, kw_only=True, forbid_unknown_fields=True):
    service_code: Code
    service_name: Annotated[str, Meta(min_length=1, max_length=80)]
    description: Annotated[str, Meta(max_length=255)] = ""
    group_name: Annotated[str, Meta(max_length=60)] = ""
    keywords: Annotated[str, Meta(max_length=255)] = ""
    intake: Literal["dispute", "grid_issue"] = "dispute"
    dispute_type: Annotated[str, Meta(min_length=1, max_length=40)] = "other"
    channel: Literal["photo_report", "grid", "hotline_12345", "online"] = "photo_report"


class ServicesIn(Struct, kw_only=True, forbid_unknown_fields=True):
    services: Annotated[list[ServiceIn], Meta(max_length=200)]


class ApiKeyView(TypedDict):
    id: int
    name: str
    prefix: str
    organisation_id: int
    scopes: list[str]
    roles: list[str]
    rate_limit_per_minute: int
    active: bool
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyView):
    key: str  # shown in this answer only


class ApiKeyList(TypedDict):
    items: list[ApiKeyView]


class IntegrationView(TypedDict):
    id: int
    name: str
    organisation_id: int
    api_key_id: int | None
    url: str
    events: list[str]
    scope: str
    active: bool
    created_at: datetime
    disabled_at: datetime | None


class IntegrationCreated(IntegrationView):
    secret: str  # shown in this answer only


class IntegrationList(TypedDict):
    items: list[IntegrationView]


class SecretRotated(TypedDict):
    id: int
    secret: str


class IntegrationDisabled(TypedDict):
    id: int
    active: bool


class DeliveryQueued(TypedDict):
    delivery_id: int


class DeliveryReplayed(DeliveryQueued):
    replay_of: int


class DeliveryView(TypedDict):
    id: int
    event_id: int | None
    case_id: int | None
    event_name: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str
    created_at: datetime
    delivered_at: datetime | None
    replay_of: int | None
    requested_by: str


class DeliveryWithBody(DeliveryView):
    body: str  # the JSON that was signed, as sent


class DeliveryList(TypedDict):
    items: list[DeliveryView]


class Open311ServiceView(TypedDict):
    service_code: str
    service_name: str
    description: str
    group_name: str
    keywords: str
    intake: str
    dispute_type: str
    channel: str


class Open311ServiceList(TypedDict):
    items: list[Open311ServiceView]


def _integration_view(row: dict[str, Any]) -> IntegrationView:
    events = row["events"] if isinstance(row["events"], list) else json.loads(row["events"] or "[]")
    return {
        "id": row["id"], "name": row["name"], "organisation_id": row["organisation"], "api_key_id": row["api_key"],
        "url": row["url"], "events": events, "scope": row["scope"], "active": row["active"],
        "created_at": row["created_at"], "disabled_at": row["disabled_at"],
    }


def _delivery_view(row: dict[str, Any], with_body: bool = False) -> dict[str, Any]:
    view: dict[str, Any] = {k: row[k] for k in (
        "id", "event_id", "case_id", "event_name", "status", "attempts", "next_attempt_at", "last_status_code",
        "last_error", "created_at", "delivered_at", "replay_of", "requested_by",
    )}
    if with_body:
        view["body"] = row["body"]
    return view


async def _integration(actor: Actor, integration_id: int, scope: str | None = None) -> dict[str, Any]:
    """The integration, for an admin of its organisation or (with ``scope``) its own key."""
    row = await Integration.select(*Integration.all_columns(), Integration.organisation.path.as_alias("org_path")).where(
        Integration.id == integration_id
    ).first()
    if row is None:
        raise NotFound()
    if actor.kind == "api_key" and scope and row["api_key"] == actor.api_key_id:
        await keys.enforce_rate_limit(actor)
        require_scope(actor, scope)
        return row
    if not (actor.is_system or actor.covers(row["org_path"])):
        raise NotFound()
    if not keys.is_admin_of(actor, row["org_path"]):
        raise Forbidden()
    return row


class KeyController(Controller):
    path = "/api/v1/integrations/keys"
    tags = ["integrations"]
    dependencies = {"actor": Provide(current_actor)}

    @post("/", summary="Create an API key (the key is in this answer only)", status_code=201)
    async def create(self, actor: NamedDependency[Actor], data: JSONBody[keys.KeyIn], request: Request[Any, Any, Any]) -> ApiKeyCreated:
        return await keys.create_key(actor, data, ip=request.client.host if request.client else "")

    @get("/", summary="API keys of my subtree (never the key itself)")
    async def list_keys(self, actor: NamedDependency[Actor], organisation_id: FromQuery[int | None] = None) -> ApiKeyList:
        return {"items": await keys.list_keys(actor, organisation_id)}

    @post("/{key_id:int}/revoke", summary="Revoke a key: it answers 401 from now on", status_code=200)
    async def revoke(self, actor: NamedDependency[Actor], key_id: FromPath[int], request: Request[Any, Any, Any]) -> ApiKeyView:
        return await keys.revoke_key(actor, key_id, ip=request.client.host if request.client else "")


class IntegrationController(Controller):
    path = "/api/v1/integrations"
    tags = ["integrations"]
    dependencies = {"actor": Provide(current_actor)}

    @post("/", summary="Register a webhook receiver (the signing secret is in this answer only)", status_code=201)
    async def create(self, actor: NamedDependency[Actor], data: JSONBody[IntegrationIn]) -> IntegrationCreated:
        await keys.organisation_for_admin(actor, data.organisation_id)
        if data.api_key_id is not None:
            await keys.key_for_admin(actor, data.api_key_id)
        if data.scope == "own" and data.api_key_id is None:
            raise ValidationFailed(errors=[{"field": "api_key_id", "message": "scope 'own' needs the integration's key"}])
        async with write_transaction():
            row = (await Integration.insert(
                Integration(name=data.name, organisation=data.organisation_id, api_key=data.api_key_id, url=data.url,
                            secret_nonce=secrets.token_hex(16), events=data.events, scope=data.scope)
            ).returning(*Integration.all_columns()))[0]
        return {**_integration_view(row), "secret": webhooks.secret_for(row)}

    @get("/", summary="Webhook integrations of my subtree")
    async def list_integrations(self, actor: NamedDependency[Actor]) -> IntegrationList:
        if actor.kind != "staff" or "admin" not in actor.roles:
            raise Forbidden()
        rows = await Integration.select().where(Integration.organisation.path.like(actor.org_path + "%")).order_by(Integration.id)
        return {"items": [_integration_view(r) for r in rows]}

    @get("/{integration_id:int}", summary="One integration")
    async def detail(self, actor: NamedDependency[Actor], integration_id: FromPath[int]) -> IntegrationView:
        return _integration_view(await _integration(actor, integration_id, "webhooks:read"))

    @post("/{integration_id:int}/rotate-secret", summary="A new signing secret (shown once); the old one stops at once", status_code=200)
    async def rotate(self, actor: NamedDependency[Actor], integration_id: FromPath[int]) -> SecretRotated:
        row = await _integration(actor, integration_id)
        nonce = secrets.token_hex(16)
        async with write_transaction():
            await Integration.update({Integration.secret_nonce: nonce}).where(Integration.id == row["id"])
        return {"id": row["id"], "secret": webhooks.secret_for({**row, "secret_nonce": nonce})}

    @post("/{integration_id:int}/disable", summary="Stop sending to this integration", status_code=200)
    async def disable(self, actor: NamedDependency[Actor], integration_id: FromPath[int]) -> IntegrationDisabled:
        row = await _integration(actor, integration_id)
        async with write_transaction():
            await Integration.update({Integration.active: False, Integration.disabled_at: datetime.now(UTC)}).where(Integration.id == row["id"])
        return {"id": row["id"], "active": False}

    @post("/{integration_id:int}/ping", summary="Send a signed test delivery", status_code=202)
    async def ping(self, actor: NamedDependency[Actor], integration_id: FromPath[int]) -> DeliveryQueued:
        row = await _integration(actor, integration_id)
        return {"delivery_id": await webhooks.ping(row["id"], actor.label)}

    @get("/{integration_id:int}/deliveries", summary="The delivery log, newest first")
    async def deliveries(
        self, actor: NamedDependency[Actor], integration_id: FromPath[int], status: FromQuery[Literal["pending", "sent", "failed"] | None] = None,
        before_id: FromQuery[int | None] = None, limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> DeliveryList:
        row = await _integration(actor, integration_id, "webhooks:read")
        where = WebhookDelivery.integration == row["id"]
        if status:
            where &= WebhookDelivery.status == status
        if before_id:
            where &= WebhookDelivery.id < before_id
        rows = await WebhookDelivery.select().where(where).order_by(WebhookDelivery.id, ascending=False).limit(limit)
        return {"items": [_delivery_view(r) for r in rows]}

    @get("/{integration_id:int}/deliveries/{delivery_id:int}", summary="One delivery with the body that was signed")
    async def delivery(self, actor: NamedDependency[Actor], integration_id: FromPath[int], delivery_id: FromPath[int]) -> DeliveryWithBody:
        row = await _integration(actor, integration_id, "webhooks:read")
        found = await WebhookDelivery.select().where((WebhookDelivery.id == delivery_id) & (WebhookDelivery.integration == row["id"])).first()
        if found is None:
            raise NotFound()
        return _delivery_view(found, with_body=True)

    @post("/{integration_id:int}/deliveries/{delivery_id:int}/replay", summary="Send a delivery again (same body, new delivery id)", status_code=202)
    async def replay(self, actor: NamedDependency[Actor], integration_id: FromPath[int], delivery_id: FromPath[int]) -> DeliveryReplayed:
        row = await _integration(actor, integration_id, "webhooks:replay")
        found = await WebhookDelivery.select().where((WebhookDelivery.id == delivery_id) & (WebhookDelivery.integration == row["id"])).first()
        if found is None:
            raise NotFound()
        if found["status"] == "pending":
            raise ValidationFailed("This delivery is still being tried.")
        return {"delivery_id": await webhooks.replay(found, actor.label), "replay_of": found["id"]}


class Open311ServiceController(Controller):
    path = "/api/v1/integrations/open311/services"
    tags = ["integrations"]
    dependencies = {"actor": Provide(current_actor)}

    @get("/{org_id:int}", summary="The Open311 services a town offers (its own or inherited)")
    async def get_services(self, actor: NamedDependency[Actor], org_id: FromPath[int]) -> Open311ServiceList:
        org = await keys.organisation_for_admin(actor, org_id)
        return {"items": [{k: x[k] for k in open311.SERVICE_FIELDS} for x in await open311.services_for(org["path"])]}

    @put("/{org_id:int}", summary="Replace a town's Open311 services (empty list: inherit again)")
    async def put_services(self, actor: NamedDependency[Actor], org_id: FromPath[int], data: JSONBody[ServicesIn]) -> Open311ServiceList:
        org = await keys.organisation_for_admin(actor, org_id)
        codes = [x.service_code for x in data.services]
        if len(codes) != len(set(codes)):
            raise ValidationFailed(errors=[{"field": "services", "message": "service codes must be unique"}])
        from core.cases.effects import ensure_dispute_type

        for x in data.services:
            await ensure_dispute_type(x.dispute_type, org["path"])
        async with write_transaction():
            await Open311Service.delete().where(Open311Service.organisation == org["id"])
            for order, x in enumerate(data.services):
                await Open311Service.insert(Open311Service(organisation=org["id"], sort_order=order * 10, **{k: getattr(x, k) for k in open311.SERVICE_FIELDS}))
        return {"items": [{k: x[k] for k in open311.SERVICE_FIELDS} for x in await open311.services_for(org["path"])]}

