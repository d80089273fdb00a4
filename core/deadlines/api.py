"""Admin API for a town's deadline policies (per dispute type and level)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, delete, get, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody
from msgspec import Meta

from core import lookups
from core.actors import Actor
from core.api.deps import current_actor
from core.api.responses import EffectivePolicies, PolicyRule, PolicyRuleDeleted, PolicyRules
from core.auth.service import require_scope
from core.db import write_transaction
from core.deadlines import config
from core.deadlines.policy import DEFAULT_POLICIES
from core.deadlines.tables import DeadlinePolicyRule
from core.errors import NotFound, ValidationFailed
from core.jobs.outbox import enqueue
from core.notifications.api import organisation_for_admin

Code = Annotated[str, Meta(max_length=40)]


class StepIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Annotated[str, Meta(min_length=1, max_length=40)]
    offset_hours: Annotated[float, Meta(ge=-24 * 60, le=24 * 60)] = 0
    notify: list[str] = msgspec.field(default_factory=list)


class DefinitionIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    starts_on: list[str] | None = None
    stops_on: list[str] | None = None
    pause_states: list[str] | None = None


class RuleIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    organisation_id: int
    kind: Annotated[str, Meta(min_length=1, max_length=40)]
    dispute_type: Code = ""
    level: Code = ""
    enabled: bool = True
    duration: Annotated[int, Meta(ge=1, le=10000)] | None = None
    unit: str | None = None
    extendable: bool | None = None
    max_extensions: Annotated[int, Meta(ge=0, le=10)] | None = None
    extension_duration: Annotated[int, Meta(ge=1, le=10000)] | None = None
    channels: list[str] | None = None
    steps: list[StepIn] | None = None
    definition: DefinitionIn | None = None


def _row_json(row: dict[str, Any]) -> PolicyRule:
    return {**row, **{k: config._loads(row[k]) for k in ("channels", "steps", "definition")}}  # type: ignore[typeddict-item]


class DeadlinePolicyController(Controller):
    path = "/api/v1/deadline-policies"
    tags = ["deadlines"]
    dependencies = {"actor": Provide(current_actor)}

    @get("/", summary="The defaults and an organisation's own rules")
    async def list_rules(self, actor: NamedDependency[Actor], organisation_id: FromQuery[int]) -> PolicyRules:
        require_scope(actor, "deadlines:read")
        org = await organisation_for_admin(actor, organisation_id, frozenset({"admin", "supervisor"}))
        rows = await DeadlinePolicyRule.select().where(DeadlinePolicyRule.organisation == org["id"]).order_by(DeadlinePolicyRule.id)
        return {
            "defaults": [config.policy_to_json(p, config.DEFAULT_CHANNELS.get(p.kind)) for p in DEFAULT_POLICIES],
            "rules": [_row_json(r) for r in rows],
        }

    @get("/effective", summary="The policies a case of this type, level and channel gets here")
    async def effective(
        self, actor: NamedDependency[Actor], organisation_id: FromQuery[int], dispute_type: FromQuery[str] = "", level: FromQuery[str] = "",
        channel: FromQuery[str] = "walk_in",
    ) -> EffectivePolicies:
        require_scope(actor, "deadlines:read")
        org = await organisation_for_admin(actor, organisation_id, frozenset({"admin", "supervisor"}))
        rules = await config.rules_for_path(org["path"])
        policies = config.resolve(rules, org["path"], dispute_type, level or org["level"], channel)
        return {"items": [config.policy_to_json(p, None) for p in policies]}

    @put("/", summary="Create or replace the rule for (organisation, kind, dispute type, level)")
    async def put_rule(self, actor: NamedDependency[Actor], data: JSONBody[RuleIn]) -> PolicyRule:
        require_scope(actor, "deadlines:write")
        return await save_rule(actor, data)

    @delete("/{rule_id:int}", summary="Remove a rule (the less specific ones apply again)", status_code=200)
    async def delete_rule(self, actor: NamedDependency[Actor], rule_id: FromPath[int]) -> PolicyRuleDeleted:
        require_scope(actor, "deadlines:write")
        return await remove_rule(actor, rule_id)


async def save_rule(actor: Actor, data: RuleIn) -> PolicyRule:
    """Create or replace a rule (the API's PUT and the admin page's form)."""
    org = await organisation_for_admin(actor, data.organisation_id)
    values = msgspec.to_builtins(data)
    values.pop("organisation_id")
    try:
        config.validate_rule(values)
    except (ValueError, TypeError) as exc:
        raise ValidationFailed(errors=[{"message": str(exc)}]) from exc
    scope = (
        (DeadlinePolicyRule.organisation == org["id"]) & (DeadlinePolicyRule.kind == data.kind)
        & (DeadlinePolicyRule.dispute_type == data.dispute_type) & (DeadlinePolicyRule.level == data.level)
    )
    async with write_transaction():
        await DeadlinePolicyRule.delete().where(scope)
        await DeadlinePolicyRule.insert(DeadlinePolicyRule(organisation=org["id"], updated_by=actor.user_id, **values))
        await enqueue("recompute_deadlines", {"org_path": org["path"]})
    lookups.invalidate()
    row = await DeadlinePolicyRule.select().where(scope).first()
    return _row_json(row)


async def remove_rule(actor: Actor, rule_id: int) -> PolicyRuleDeleted:
    row = await DeadlinePolicyRule.select().where(DeadlinePolicyRule.id == rule_id).first()
    if row is None:
        raise NotFound()
    org = await organisation_for_admin(actor, row["organisation"])
    async with write_transaction():
        await DeadlinePolicyRule.delete().where(DeadlinePolicyRule.id == rule_id)
        await enqueue("recompute_deadlines", {"org_path": org["path"]})
    lookups.invalidate()
    return {"deleted": rule_id}


ROUTES = [DeadlinePolicyController]
