"""The policies that apply to a case: the defaults (policy.py) overlaid with a town's rules.

Rules of the organisations above the case's organisation are applied least specific first:
a nearer organisation over a farther one, and within one organisation a rule naming the
dispute type and the level over one naming either, over one naming neither. Each rule sets
only the fields it fills in, so a county can set the ladder and a town the duration.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from typing import Any

from core.deadlines.policy import DEFAULT_POLICIES, UNITS, DeadlinePolicy, LadderStep
from core.deadlines.tables import DeadlinePolicyRule

AUDIENCES = ("assignee", "org_head", "parent_org", "case_owner_leader")
# Channels each default applies to (None: all); a rule's ``channels`` replaces this.
DEFAULT_CHANNELS: dict[str, tuple[str, ...] | None] = {"first_contact": ("online",)}


def _loads(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def ancestor_ids(path: str) -> list[int]:
    return [int(part) for part in path.strip("/").split("/") if part]


def steps_from_json(items: list[dict[str, Any]]) -> tuple[LadderStep, ...]:
    steps = []
    for item in items:
        notify = [a for a in item.get("notify", []) if a in AUDIENCES]
        steps.append(LadderStep(str(item["name"]), timedelta(hours=float(item.get("offset_hours", 0))), tuple(notify)))
    return tuple(steps)


def steps_to_json(steps: tuple[LadderStep, ...]) -> list[dict[str, Any]]:
    return [{"name": s.name, "offset_hours": s.offset.total_seconds() / 3600, "notify": list(s.notify)} for s in steps]


def policy_to_json(policy: DeadlinePolicy, channels: tuple[str, ...] | None) -> dict[str, Any]:
    return {
        "kind": policy.kind, "duration": policy.duration, "unit": policy.unit, "extendable": policy.extendable,
        "max_extensions": policy.max_extensions, "extension_duration": policy.extension_duration,
        "channels": list(channels) if channels is not None else None, "steps": steps_to_json(policy.steps),
        "starts_on": sorted(policy.starts_on), "stops_on": sorted(policy.stops_on), "pause_states": sorted(policy.pause_states),
    }


def _apply(policy: DeadlinePolicy | None, rule: dict[str, Any]) -> DeadlinePolicy | None:
    """One rule over what the less specific ones gave; raises ValueError on a bad rule."""
    definition = _loads(rule.get("definition")) or {}
    if policy is None:
        if not definition.get("starts_on") or rule.get("duration") is None or not rule.get("unit"):
            return None  # a new kind needs start events, a duration and a unit
        policy = DeadlinePolicy(
            kind=rule["kind"], starts_on=set(definition["starts_on"]), stops_on=set(definition.get("stops_on", [])),
            duration=rule["duration"], unit=rule["unit"], pause_states=set(definition.get("pause_states", [])),
        )
    changes: dict[str, Any] = {
        field: rule[field] for field in ("duration", "unit", "extendable", "max_extensions", "extension_duration")
        if rule.get(field) is not None
    }
    for field in ("starts_on", "stops_on", "pause_states"):
        if definition.get(field) is not None:
            changes[field] = set(definition[field])
    steps = _loads(rule.get("steps"))
    if steps is not None:
        changes["steps"] = steps_from_json(steps)
    return replace(policy, **changes) if changes else policy


def _specificity(rule: dict[str, Any], depth: dict[int, int]) -> tuple[int, int, int]:
    return depth.get(rule["organisation"], 0), bool(rule["dispute_type"]), bool(rule["level"])


def resolve(rules: list[dict[str, Any]], path: str, dispute_type: str, level: str, channel: str | None) -> list[DeadlinePolicy]:
    """The policies for a case from the rules of its organisations (pure, for tests and previews)."""
    depth = {org_id: i for i, org_id in enumerate(ancestor_ids(path), start=1)}
    matching = [
        r for r in rules
        if r["organisation"] in depth and r["dispute_type"] in ("", dispute_type) and r["level"] in ("", level)
    ]
    matching.sort(key=lambda r: _specificity(r, depth))
    policies: dict[str, DeadlinePolicy | None] = {p.kind: p for p in DEFAULT_POLICIES}
    channels: dict[str, tuple[str, ...] | None] = dict(DEFAULT_CHANNELS)
    enabled: dict[str, bool] = {p.kind: True for p in DEFAULT_POLICIES}
    for rule in matching:
        kind = rule["kind"]
        try:
            policies[kind] = _apply(policies.get(kind), rule)
        except (ValueError, TypeError, KeyError):
            continue  # a broken rule must not stop every transition; the API refuses them
        enabled[kind] = bool(rule.get("enabled", True))
        if _loads(rule.get("channels")) is not None:
            channels[kind] = tuple(_loads(rule["channels"]))
    result = []
    for kind, policy in policies.items():
        if policy is None or not enabled.get(kind, True):
            continue
        allowed = channels.get(kind)
        if allowed is not None and channel not in allowed:
            continue
        result.append(policy)
    return result


async def rules_for_path(path: str) -> list[dict[str, Any]]:
    ids = ancestor_ids(path)
    if not ids:
        return []
    return await DeadlinePolicyRule.select().where(DeadlinePolicyRule.organisation.is_in(ids))


async def policies_for_case(case: dict[str, Any]) -> list[DeadlinePolicy]:
    """``case`` needs org_path, dispute_type, channel and org_level."""
    rules = await rules_for_path(case.get("org_path") or "")
    return resolve(rules, case.get("org_path") or "", case.get("dispute_type") or "", case.get("org_level") or "", case.get("channel"))


def validate_rule(rule: dict[str, Any]) -> None:
    """Raise ValueError when a rule cannot make a valid policy."""
    if rule.get("unit") is not None and rule["unit"] not in UNITS:
        raise ValueError(f"unit must be one of {UNITS}")
    for item in rule.get("steps") or []:
        unknown = set(item.get("notify", [])) - set(AUDIENCES)
        if unknown:
            raise ValueError(f"unknown audiences {sorted(unknown)}; use {AUDIENCES}")
    base = next((p for p in DEFAULT_POLICIES if p.kind == rule["kind"]), None)
    if _apply(base, rule) is None:
        raise ValueError("a new kind of deadline needs definition.starts_on, a duration and a unit")
