"""The case API: intake, lists, detail, the timeline and one endpoint per action."""

import dataclasses
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from core.actors import Actor
from core.api.deps import current_actor
from core.api.responses import (
    ActionResult,
    CaseDetail,
    CasePage,
    ChainReport,
    Duplicates,
    RevealedParty,
    StaffCaseCreated,
    Suggestions,
    Timeline,
)
from core.audit.tables import AccessLog
from core.auth.service import require_scope
from core.cases import schemas as s
from core.cases.access import handles_filter, may_reveal, restricted, visible_filter
from core.cases.dispatch import suggest_mediators
from core.cases.lifecycle import TABLE, Transition, transition
from core.cases.service import create_case, get_case, likely_duplicates
from core.cases.tables import Case, Party
from core.cases.timeline import load_events, verify_chain
from core.cases.views import case_detail, case_summary, decode_cursor, encode_cursor
from core.errors import Forbidden, NotFound
from core.i18n import label
from core.orgs.tables import Organisation


class CaseController(Controller):
    path = "/api/v1/cases"
    tags = ["cases"]
    dependencies = {"actor": Provide(current_actor)}

    @post("/", summary="Register a case from any channel", status_code=201)
    async def create(self, data: JSONBody[s.CaseIn], actor: NamedDependency[Actor], request: Request[Any, Any, Any]) -> StaffCaseCreated:
        require_scope(actor, "cases:create")
        key = request.headers.get("idempotency-key")
        result = await create_case(data, actor, idempotency=(actor.label, key) if key else None)
        dupes = await likely_duplicates(
            [p.phone for p in data.parties], [p.id_number for p in data.parties], data.dispute_type, actor, exclude=result["id"]
        )
        return {**result, "possible_duplicates": [{"id": d["id"], "number": d["number"], "state": d["state"], "same_type": d["same_type"]} for d in dupes]}

    @get("/", summary="List cases in your organisation's subtree")
    async def list_cases(
        self, actor: NamedDependency[Actor],
        state_filter: Annotated[str | None, QueryParameter(name="state")] = None, dispute_type: FromQuery[str | None] = None,
        risk_level: FromQuery[str | None] = None, channel: FromQuery[str | None] = None, organisation_id: FromQuery[int | None] = None,
        assignee_id: FromQuery[int | None] = None, mine: FromQuery[bool] = False, overdue: FromQuery[bool] = False,
        q: FromQuery[str | None] = None, cursor: FromQuery[str | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> CasePage:
        require_scope(actor, "cases:read")
        from datetime import UTC, datetime

        where = visible_filter(actor)
        if state_filter:
            where &= Case.state.is_in(state_filter.split(","))
        if dispute_type:
            where &= Case.dispute_type == dispute_type
        if risk_level:
            where &= Case.risk_level == risk_level
        if channel:
            where &= Case.channel == channel
        if organisation_id:
            org = await Organisation.select(Organisation.path).where(Organisation.id == organisation_id).first()
            if org is None:
                raise NotFound("Unknown organisation.")
            prefix = org["path"] + "%"
            where &= Case.org_path.like(prefix) | Case.place_path.like(prefix) | Case.assigned_org_path.like(prefix)
        if assignee_id:
            where &= Case.assignee == assignee_id
        if mine and actor.user_id:
            where &= Case.assignee == actor.user_id
        if overdue:
            where &= Case.next_due_at < datetime.now(UTC)
        if q:
            term = q.strip()
            # The party's cases first, then a literal id list: an OR with a subquery kept
            # PostgreSQL from using the number and primary-key indexes (see docs/performance.md).
            party_cases = {r["case"] for r in await Party.select(Party.case).where((Party.phone == term) | (Party.name == term))}
            matches = (Case.number == term) | (Case.application_ref == term)
            if party_cases:
                # A person's name or phone must not reveal that they are party to a sensitive case.
                matches = matches | (Case.id.is_in(sorted(party_cases)) & handles_filter(actor))
            where &= matches
        if cursor:
            where &= Case.id < decode_cursor(cursor)
        rows = await Case.select().where(where).order_by(Case.id, ascending=False).limit(limit + 1)
        more = len(rows) > limit
        rows = rows[:limit]
        return {
            "items": [case_summary(r, actor.locale, masked=restricted(actor, r)) for r in rows],
            "next_cursor": encode_cursor(rows[-1]["id"]) if more else None,
        }

    @get("/{case_id:int}", summary="One case, parties masked")
    async def detail(self, case_id: FromPath[int], actor: NamedDependency[Actor]) -> CaseDetail:
        require_scope(actor, "cases:read")
        from core.privacy.sensitive import view_label

        case = await get_case(case_id, actor)
        await _log_view(actor, case_id, None, view_label(actor, case))
        return await case_detail(case, actor)

    @get("/{case_id:int}/timeline", summary="The case's events, oldest first")
    async def timeline(self, case_id: FromPath[int], actor: NamedDependency[Actor]) -> Timeline:
        from core.privacy.sensitive import mask_payload

        require_scope(actor, "cases:read")
        case = await get_case(case_id, actor)
        events = await load_events(case_id)
        if restricted(actor, case):
            for e in events:
                e["payload"] = mask_payload(e["payload"])
        return {
            "items": [
                {
                    "seq": e["seq"], "name": e["name"], "label": label("event", e["name"], actor.locale),
                    "from_state": e["from_state"], "to_state": e["to_state"], "actor_id": e["actor"],
                    "actor_label": e["actor_label"], "at": e["at"], "payload": e["payload"], "hash": e["hash"],
                }
                for e in events
            ]
        }

    @get("/{case_id:int}/audit", summary="Verify the timeline's hash chain")
    async def audit(self, case_id: FromPath[int], actor: NamedDependency[Actor]) -> ChainReport:
        require_scope(actor, "cases:read")
        await get_case(case_id, actor)
        report = await verify_chain(case_id)
        return dataclasses.asdict(report)

    @get("/{case_id:int}/suggestions", summary="Ranked mediators for this case, with reasons")
    async def suggestions(self, case_id: FromPath[int], actor: NamedDependency[Actor]) -> Suggestions:
        require_scope(actor, "cases:read")
        case = await get_case(case_id, actor)
        return {"items": await suggest_mediators(case)}

    @get("/{case_id:int}/duplicates", summary="Likely duplicates and the parties' earlier cases")
    async def duplicates(self, case_id: FromPath[int], actor: NamedDependency[Actor]) -> Duplicates:
        require_scope(actor, "cases:read")
        case = await get_case(case_id, actor)
        parties = await Party.select(Party.phone, Party.id_number).where(Party.case == case_id)
        rows = await likely_duplicates([p["phone"] for p in parties], [p["id_number"] for p in parties], case["dispute_type"], actor, exclude=case_id)
        return {"items": [{"id": r["id"], "number": r["number"], "state": r["state"], "dispute_type": r["dispute_type"], "same_type": r["same_type"], "submitted_at": r["submitted_at"]} for r in rows]}

    @post("/{case_id:int}/parties/{party_id:int}/reveal", summary="Show a party's full phone and ID number (recorded)", status_code=200)
    async def reveal(self, case_id: FromPath[int], party_id: FromPath[int], actor: NamedDependency[Actor], request: Request[Any, Any, Any]) -> RevealedParty:
        case = await get_case(case_id, actor)
        if not may_reveal(actor, case):
            raise Forbidden()
        party = await Party.select().where((Party.id == party_id) & (Party.case == case_id)).first()
        if party is None:
            raise NotFound("No such party on this case.")
        await _log_view(actor, case_id, party_id, "party.contact", request.client.host if request.client else "")
        return {"id": party["id"], "name": party["name"], "phone": party["phone"], "id_number": party["id_number"], "address": party["address"]}


async def _log_view(actor: Actor, case_id: int, party_id: int | None, what: str, ip: str = "") -> None:
    if actor.kind == "system":
        return
    await AccessLog.insert(AccessLog(user=actor.user_id, actor_label=actor.label, case_id=case_id, party_id=party_id, what=what, ip=ip))


def _action_handler(t: Transition) -> Any:
    async def handler(case_id: int, data: Any, actor: Actor) -> ActionResult:
        require_scope(actor, f"cases:{t.event}")
        event = await transition(case_id, t.event, actor, data)
        # No visibility check here: the actor just acted on the case, and some actions (escalate,
        # redispatch) move it out of the actor's subtree; a 404 would hide that it succeeded.
        case = await Case.select().where(Case.id == case_id).first()
        return {"event": {k: event[k] for k in ("seq", "name", "from_state", "to_state", "at", "payload")}, "case": case_summary(case, actor.locale)}

    handler.__annotations__ = {"case_id": FromPath[int], "data": JSONBody[t.data], "actor": NamedDependency[Actor], "return": ActionResult}
    handler.__name__ = f"action_{t.event}"
    handler.__qualname__ = handler.__name__
    return post(
        f"/api/v1/cases/{{case_id:int}}/actions/{t.event}", summary=t.summary, tags=["case actions"],
        operation_id=f"case_{t.event}", status_code=200, dependencies={"actor": Provide(current_actor)},
    )(handler)


ACTION_HANDLERS = [_action_handler(t) for t in TABLE]
