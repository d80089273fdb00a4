"""The inbox API (list, mark read), contact addresses, a town's quiet hours, and .ics links."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, TypedDict

import msgspec
from litestar import Controller, Response, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from msgspec import Meta

from core.actors import Actor
from core.api.deps import current_actor
from core.auth.service import require_scope
from core.db import write_transaction
from core.errors import Forbidden, NotFound, ValidationFailed
from core.notifications import service
from core.notifications.tables import ContactAddress, NotificationSettings
from core.orgs.tables import Organisation

HHMM = Annotated[str, Meta(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]
ADMIN = frozenset({"admin"})


class InboxItem(TypedDict):
    id: int
    kind: str
    subject: str
    body: str
    case_id: int | None
    link: str
    created_at: datetime
    read_at: datetime | None


class Inbox(TypedDict):
    items: list[InboxItem]
    unread: int


class Marked(TypedDict):
    marked: int


class ContactOut(TypedDict):
    channel: str
    address: str


class TownSettings(TypedDict):
    organisation: int | None  # the organisation whose row applies; None: the defaults
    quiet_start: str
    quiet_end: str
    party_channels: list[str] | None


class ReadIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    ids: list[int] | None = None  # None: all


class SettingsIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    quiet_start: HHMM = "21:00"
    quiet_end: HHMM = "08:00"
    party_channels: list[str] | None = None


class ContactIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    channel: Annotated[str, Meta(min_length=1, max_length=40)] = "email"
    address: Annotated[str, Meta(max_length=200)] = ""  # empty removes it


def _staff(actor: Actor) -> int:
    if actor.kind != "staff" or actor.user_id is None:
        raise Forbidden()
    return actor.user_id


async def organisation_for_admin(actor: Actor, org_id: int, roles: frozenset[str] = ADMIN) -> dict[str, Any]:
    """The organisation, if the actor administers it (a 404 outside their subtree)."""
    org = await Organisation.select(Organisation.id, Organisation.path, Organisation.level).where(Organisation.id == org_id).first()
    if org is None or not (actor.is_system or actor.covers(org["path"])):
        raise NotFound("Unknown organisation.")
    if not actor.has_any(roles):
        raise Forbidden()
    return org


class NotificationController(Controller):
    path = "/api/v1/notifications"
    tags = ["notifications"]
    dependencies = {"actor": Provide(current_actor)}

    @get("/", summary="My inbox, newest first")
    async def list_inbox(
        self, actor: NamedDependency[Actor], unread: FromQuery[bool] = False, before_id: FromQuery[int | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> Inbox:
        require_scope(actor, "notifications:read")
        user_id = _staff(actor)
        items = await service.inbox(user_id, unread_only=unread, before_id=before_id, limit=limit)
        return {"items": items, "unread": await service.unread_count(user_id)}

    @post("/read", summary="Mark notifications read (all when ids is null)", status_code=200)
    async def read_many(self, actor: NamedDependency[Actor], data: JSONBody[ReadIn]) -> Marked:
        require_scope(actor, "notifications:write")
        return {"marked": await service.mark_read(_staff(actor), data.ids)}

    @post("/{notification_id:int}/read", summary="Mark one notification read", status_code=200)
    async def read_one(self, actor: NamedDependency[Actor], notification_id: FromPath[int]) -> Marked:
        require_scope(actor, "notifications:write")
        return {"marked": await service.mark_read(_staff(actor), [notification_id])}

    @put("/contact", summary="Where a channel reaches me (e.g. my email)")
    async def set_contact(self, actor: NamedDependency[Actor], data: JSONBody[ContactIn]) -> ContactOut:
        require_scope(actor, "notifications:write")
        owner = f"staff:{_staff(actor)}"
        if data.channel == "email" and data.address and "@" not in data.address:
            raise ValidationFailed(errors=[{"field": "address", "message": "not an email address"}])
        async with write_transaction():
            await ContactAddress.delete().where((ContactAddress.owner == owner) & (ContactAddress.channel == data.channel))
            if data.address:
                await ContactAddress.insert(ContactAddress(owner=owner, channel=data.channel, address=data.address))
        return {"channel": data.channel, "address": data.address}

    @get("/settings/{org_id:int}", summary="A town's notification settings (quiet hours)")
    async def get_settings(self, actor: NamedDependency[Actor], org_id: FromPath[int]) -> TownSettings:
        require_scope(actor, "notifications:read")
        org = await organisation_for_admin(actor, org_id, ADMIN | {"supervisor"})
        return await service.town_settings(org["path"])

    @put("/settings/{org_id:int}", summary="Set a town's quiet hours and resident channels")
    async def put_settings(self, actor: NamedDependency[Actor], org_id: FromPath[int], data: JSONBody[SettingsIn]) -> TownSettings:
        require_scope(actor, "notifications:write")
        org = await organisation_for_admin(actor, org_id)
        values = {"quiet_start": data.quiet_start, "quiet_end": data.quiet_end, "party_channels": data.party_channels}
        async with write_transaction():
            updated = await NotificationSettings.update({
                NotificationSettings.quiet_start: data.quiet_start, NotificationSettings.quiet_end: data.quiet_end,
                NotificationSettings.party_channels: data.party_channels, NotificationSettings.updated_by: actor.user_id,
            }).where(NotificationSettings.organisation == org["id"]).returning(NotificationSettings.id)
            if not updated:
                await NotificationSettings.insert(NotificationSettings(organisation=org["id"], updated_by=actor.user_id, **values))
        return await service.town_settings(org["path"])


@get("/api/v1/notifications/ics/{token:str}", summary="A session's calendar file (signed link from a message)", tags=["notifications"], media_type="text/calendar")
async def session_calendar(token: FromPath[str]) -> Response[bytes]:
    from core.cases.tables import Case, MediationSession
    from core.notifications.ics import session_from_token, session_ics

    session_id = session_from_token(token.removesuffix(".ics"))
    session = await MediationSession.select().where(MediationSession.id == (session_id or -1)).first()
    if session is None:
        raise NotFound()
    case = await Case.select(Case.number).where(Case.id == session["case"]).first()
    body = session_ics(session, case, f"调解会 {case['number']}", session["place"] or "")
    return Response(body, media_type="text/calendar", headers={"Content-Disposition": 'attachment; filename="session.ics"'})


ROUTES = [NotificationController, session_calendar]
_ = Literal
