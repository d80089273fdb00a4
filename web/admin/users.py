"""Staff users and their roles: create, deactivate, reset a password."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath

from core.actors import Actor
from core.auth.service import hash_password
from core.auth.tables import ROLES, StaffSession, StaffUser
from core.db import write_transaction
from core.errors import Conflict, JiefenError, NotFound
from core.orgs.tables import Organisation
from web.admin.common import MANAGE_TABS, admin_actor, org_in_subtree
from web.forms import FormError, flat, message_for, optional_int
from web.queries import order_tree
from web.render import page, redirect, translator

MIN_PASSWORD = 10


def temporary_password() -> str:
    # Easy to read out over the phone: no 0/O or 1/l.
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(3))


async def _context(request: Request[Any, Any, Any], actor: Actor, **extra: Any) -> dict[str, Any]:
    q = (request.query_params.get("q") or "").strip()
    where = StaffUser.organisation.path.like(actor.org_path + "%")
    if q:
        where &= StaffUser.username.like(f"%{q}%") | StaffUser.display_name.like(f"%{q}%")
    users = await StaffUser.select(
        StaffUser.id, StaffUser.username, StaffUser.display_name, StaffUser.roles, StaffUser.active, StaffUser.locked_until,
        StaffUser.last_login_at, StaffUser.organisation.name.as_alias("org_name"), StaffUser.organisation.path.as_alias("org_path"),
    ).where(where).order_by(StaffUser.organisation.path).order_by(StaffUser.id).output(load_json=True)
    orgs = await Organisation.select().where(Organisation.path.like(actor.org_path + "%") & (Organisation.active == True))  # noqa: E712
    return {
        "tabs": MANAGE_TABS, "tab": "users", "users": users, "orgs": order_tree(orgs), "roles": ROLES, "q": q,
        "now": datetime.now(UTC), "error": "", "v": {}, "issued": None, **extra,
    }


async def _user_in_subtree(actor: Actor, user_id: int) -> dict[str, Any]:
    user = await StaffUser.select(StaffUser.id, StaffUser.username, StaffUser.active, StaffUser.organisation.path.as_alias("path")).where(
        StaffUser.id == user_id
    ).first()
    if user is None or not actor.covers(user["path"]):
        raise NotFound()
    return user


class UserPages(Controller):
    path = "/manage/users"
    dependencies = {"actor": Provide(admin_actor)}

    @get("/", name="manage_users")
    async def users(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]) -> Any:
        return page(request, actor, "manage/users.html", await _context(request, actor))

    @post("/", name="manage_users_create")
    async def create(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]) -> Any:
        form = await request.form()
        v = flat(form)
        roles = [r for r in form.getall("roles", []) if r in ROLES]
        _ = translator(actor.locale)
        try:
            username = v.get("username", "").strip()
            name = v.get("display_name", "").strip()
            if not username or not name:
                raise FormError("{field} is required.", "username", field=_("User name") if not username else _("Name"))
            if not roles:
                raise FormError("Choose at least one role.", "roles")
            org = await org_in_subtree(actor, optional_int(v.get("organisation_id"), "organisation_id"))
            password = v.get("password", "")
            issued = None
            if not password:
                password = issued = temporary_password()
            elif len(password) < MIN_PASSWORD:
                raise FormError("The password needs at least {n} characters.", "password", n=MIN_PASSWORD)
            if await StaffUser.exists().where(StaffUser.username == username):
                raise Conflict("This user name is taken.")
            await StaffUser.insert(StaffUser(
                username=username[:60], display_name=name[:60], password_hash=hash_password(password), organisation=org["id"],
                roles=roles, phone=v.get("phone", "").strip()[:40], locale=v.get("locale") if v.get("locale") in ("zh_CN", "en") else "zh_CN",
            ))
        except JiefenError as exc:
            message, _field = message_for(exc, _)
            v.pop("password", None)
            ctx = await _context(request, actor, error=message, v={**v, "roles": roles})
            return page(request, actor, "manage/users.html", ctx, status=exc.status_code)
        ctx = await _context(request, actor, issued={"username": username, "password": issued} if issued else None, created=username)
        return page(request, actor, "manage/users.html", ctx)

    @post("/{user_id:int}/active", name="manage_users_active")
    async def toggle(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], user_id: FromPath[int]) -> Any:
        user = await _user_in_subtree(actor, user_id)
        if user["id"] == actor.user_id:
            raise Conflict("You cannot deactivate yourself.")
        async with write_transaction():
            await StaffUser.update({StaffUser.active: not user["active"]}).where(StaffUser.id == user_id)
            if user["active"]:  # deactivating ends every session at once
                await StaffSession.update({StaffSession.ended_at: datetime.now(UTC)}).where(
                    (StaffSession.user == user_id) & StaffSession.ended_at.is_null()
                )
        return redirect(request, "/admin/manage/users")

    @post("/{user_id:int}/reset", name="manage_users_reset")
    async def reset(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], user_id: FromPath[int]) -> Any:
        user = await _user_in_subtree(actor, user_id)
        password = temporary_password()
        async with write_transaction():
            await StaffUser.update({
                StaffUser.password_hash: hash_password(password), StaffUser.failed_logins: 0, StaffUser.locked_until: None,
            }).where(StaffUser.id == user_id)
            await StaffSession.update({StaffSession.ended_at: datetime.now(UTC)}).where(
                (StaffSession.user == user_id) & StaffSession.ended_at.is_null()
            )
        ctx = await _context(request, actor, issued={"username": user["username"], "password": password})
        return page(request, actor, "manage/users.html", ctx)
