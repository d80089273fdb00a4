"""The mediator roster and the expert pool (专家库)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath

from core.actors import Actor
from core.auth.tables import StaffUser
from core.cases.dispatch import open_case_counts
from core.errors import Conflict, JiefenError, NotFound
from core.roster.tables import Mediator
from web import queries
from web.admin.common import MANAGE_TABS, admin_actor, org_in_subtree
from web.forms import FormError, checked, flat, message_for, optional_int
from web.render import page, redirect, translator


async def _context(request: Request[Any, Any, Any], actor: Actor, **extra: Any) -> dict[str, Any]:
    experts = request.query_params.get("experts") == "1"
    where = Mediator.organisation.path.like(actor.org_path + "%")
    if experts:
        where &= Mediator.is_expert == True  # noqa: E712
    mediators = await Mediator.select(
        *Mediator.all_columns(), Mediator.organisation.name.as_alias("org_name"), Mediator.user.username.as_alias("username"),
    ).where(where).order_by(Mediator.organisation.path).order_by(Mediator.grade).order_by(Mediator.id).output(load_json=True)
    loads = await open_case_counts([m["user"] for m in mediators if m["user"]])
    for m in mediators:
        m["open_cases"] = loads.get(m["user"], 0)
    types = await queries.dispute_types()
    on_roster = {m["user"] for m in mediators if m["user"]}
    candidates = await StaffUser.select(StaffUser.id, StaffUser.display_name, StaffUser.roles, StaffUser.organisation.name.as_alias("org_name")).where(
        StaffUser.organisation.path.like(actor.org_path + "%") & (StaffUser.active == True)  # noqa: E712
    ).output(load_json=True)
    candidates = [u for u in candidates if "mediator" in (u["roles"] or []) and u["id"] not in on_roster]
    return {
        "tabs": MANAGE_TABS, "tab": "roster", "mediators": mediators, "experts": experts, "types": types,
        "type_label": queries.type_label(types, actor.locale), "candidates": candidates,
        "orgs": await queries.subtree(actor), "error": "", "v": {}, "edit": None, **extra,
    }


def _fields(form: Any, v: dict[str, str]) -> dict[str, Any]:
    grade = optional_int(v.get("grade"), "grade") or 3
    max_open = optional_int(v.get("max_open_cases"), "max_open_cases") or 15
    if not 1 <= grade <= 4 or not 1 <= max_open <= 200:
        raise FormError("Some fields are missing or wrong.", "grade")
    return {
        Mediator.specialties: [s for s in form.getall("specialties", []) if isinstance(s, str)][:20],
        Mediator.grade: grade, Mediator.max_open_cases: max_open, Mediator.is_expert: checked(v, "is_expert"),
        Mediator.expert_field: v.get("expert_field", "").strip()[:60], Mediator.bio: v.get("bio", "").strip()[:2000],
        Mediator.phone: v.get("phone", "").strip()[:40],
    }


async def _mediator_in_subtree(actor: Actor, mediator_id: int) -> dict[str, Any]:
    row = await Mediator.select(*Mediator.all_columns(), Mediator.organisation.path.as_alias("path")).where(Mediator.id == mediator_id).output(load_json=True).first()
    if row is None or not actor.covers(row["path"]):
        raise NotFound()
    return row


class RosterPages(Controller):
    path = "/manage/roster"
    dependencies = {"actor": Provide(admin_actor)}

    @get("/", name="manage_roster")
    async def roster(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]) -> Any:
        edit = None
        if (request.query_params.get("edit") or "").isdecimal():  # not isdigit: "²" is a digit int() refuses
            edit = await _mediator_in_subtree(actor, int(request.query_params["edit"]))
        return page(request, actor, "manage/roster.html", await _context(request, actor, edit=edit))

    @post("/", name="manage_roster_create")
    async def create(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]) -> Any:
        form = await request.form()
        v = flat(form)
        try:
            user_id = optional_int(v.get("user_id"), "user_id")
            user = await StaffUser.select(StaffUser.id, StaffUser.display_name, StaffUser.organisation).where(StaffUser.id == (user_id or -1)).first()
            if user is None:
                raise FormError("Choose a person.", "user_id")
            org = await org_in_subtree(actor, user["organisation"])
            if await Mediator.exists().where(Mediator.user == user["id"]):
                raise Conflict("This person is already on the roster.")
            values = {col._meta.name: val for col, val in _fields(form, v).items()}
            await Mediator.insert(Mediator(user=user["id"], name=user["display_name"], organisation=org["id"], **values))
        except JiefenError as exc:
            message, _field = message_for(exc, translator(actor.locale))
            return page(request, actor, "manage/roster.html", await _context(request, actor, error=message, v=v), status=exc.status_code)
        return redirect(request, "/admin/manage/roster")

    @post("/{mediator_id:int}", name="manage_roster_update")
    async def update(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], mediator_id: FromPath[int]) -> Any:
        row = await _mediator_in_subtree(actor, mediator_id)
        form = await request.form()
        v = flat(form)
        try:
            await Mediator.update(_fields(form, v)).where(Mediator.id == row["id"])
        except JiefenError as exc:
            message, _field = message_for(exc, translator(actor.locale))
            return page(request, actor, "manage/roster.html", await _context(request, actor, error=message, edit=row), status=exc.status_code)
        return redirect(request, "/admin/manage/roster")

    @post("/{mediator_id:int}/active", name="manage_roster_active")
    async def toggle(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], mediator_id: FromPath[int]) -> Any:
        row = await _mediator_in_subtree(actor, mediator_id)
        await Mediator.update({Mediator.active: not row["active"]}).where(Mediator.id == row["id"])
        return redirect(request, "/admin/manage/roster")
