"""Public endpoints: an application without a staff login, and the roster to choose from."""

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromQuery, JSONBody

from core import lookups
from core.actors import Actor
from core.api.responses import CaseCreated, DisputeTypes, Roster
from core.cases import schemas as s
from core.cases.service import create_case
from core.errors import BadRequest
from core.orgs.tables import Organisation
from core.ratelimit import hit
from core.roster.tables import Mediator
from core.settings import get_settings


class PublicApplication(s.CaseIn, kw_only=True, forbid_unknown_fields=True):
    """An online application; the centre (a town node) it goes to is chosen by ``centre_id``."""

    centre_id: int


def client_identity(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


class PublicController(Controller):
    path = "/api/v1/public"
    tags = ["public"]

    @post("/applications", summary="Apply for mediation (no login; send an Idempotency-Key)", status_code=201)
    async def apply(self, data: JSONBody[PublicApplication], request: Request[Any, Any, Any]) -> CaseCreated:
        ident = client_identity(request)
        await hit("intake", ident, get_settings().intake_rate_limit_per_minute)
        if data.accept_now:
            raise BadRequest()
        centre = await lookups.organisation(data.centre_id)
        if centre is None:
            raise BadRequest("Unknown organisation.")
        actor = Actor(kind="party", roles=frozenset({"party"}), org_id=centre["id"], org_path=centre["path"], name="party")
        key = request.headers.get("idempotency-key")
        # The key is scoped to the client so one applicant cannot replay another's.
        result = await create_case(
            s.CaseIn(**{f: getattr(data, f) for f in s.CaseIn.__struct_fields__}), actor, org_id=centre["id"],
            idempotency=(f"public:{ident}", key) if key else None,
        )
        return result

    @get("/dispute-types", summary="The dispute types one can apply for (at a centre: its own types too, no other town's)")
    async def dispute_types(self, centre_id: FromQuery[int | None] = None) -> DisputeTypes:
        from core.roster.types import offered_types

        centre = await lookups.organisation(centre_id) if centre_id else None
        # Without a centre, the path "" is under no owner: the shared types every centre offers.
        rows = await offered_types(centre["path"] if centre else "")
        return {"items": [{k: r[k] for k in ("code", "label_zh", "label_en")} for r in rows]}

    @get("/mediators", summary="The roster to choose a mediator from (点单)")
    async def mediators(self, centre_id: FromQuery[int | None] = None) -> Roster:
        query = Mediator.select(
            Mediator.id, Mediator.name, Mediator.specialties, Mediator.grade, Mediator.rating, Mediator.rating_count,
            Mediator.is_expert, Mediator.expert_field, Mediator.bio, Mediator.organisation.name.as_alias("organisation"),
            Mediator.organisation.path.as_alias("organisation_path"),
        ).where(Mediator.active == True).output(load_json=True)  # noqa: E712
        rows = await query
        if centre_id:
            centre = await Organisation.select(Organisation.path).where(Organisation.id == centre_id).first()
            if centre:
                rows = [r for r in rows if r["organisation_path"].startswith(centre["path"])]
        for r in rows:
            r.pop("organisation_path")
        return {"items": rows}
