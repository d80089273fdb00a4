"""Built-in plugin: dispatch by the town's rules, and mediator ranking by specialty, load,
grade and rating, each with its reasons shown to the desk."""

from __future__ import annotations

from typing import Any

from core import hookimpl
from core.cases.tables import DispatchRule


@hookimpl
async def dispatch_target(case: dict[str, Any]) -> dict[str, Any] | None:
    rules = await DispatchRule.select(
        DispatchRule.dispute_type, DispatchRule.place, DispatchRule.target, DispatchRule.to_pool,
        DispatchRule.priority, DispatchRule.owner.path.as_alias("owner_path"),
        DispatchRule.place.path.as_alias("place_rule_path"), DispatchRule.target.name.as_alias("target_name"),
    ).where(DispatchRule.active == True)  # noqa: E712
    applicable = [r for r in rules if (case.get("org_path") or "").startswith(r["owner_path"] or "\0")]
    best = None
    for rule in sorted(applicable, key=lambda r: r["priority"]):
        by_type = rule["dispute_type"] and rule["dispute_type"] == case["dispute_type"]
        by_place = rule["place"] and (case.get("place_path") or "").startswith(rule["place_rule_path"] or "\0")
        if rule["dispute_type"] and not by_type:
            continue
        if rule["place"] and not by_place:
            continue
        if not (by_type or by_place):
            continue
        best = rule
        break
    if best is None:
        return None
    why = "类型规则" if best["dispute_type"] else "属地规则"
    return {"organisation_id": best["target"], "to_pool": best["to_pool"], "reason": f"{why}:{best['target_name']}"}


@hookimpl
def rank_mediators(case: dict[str, Any], candidates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ranked = []
    for c in candidates:
        reasons: list[str] = []
        score = 0.0
        if case["dispute_type"] in (c.get("specialties") or []):
            score += 40
            reasons.append("擅长此类纠纷")
        capacity = max(c.get("max_open_cases") or 1, 1)
        load = c.get("open_cases", 0) / capacity
        score += 25 * max(0.0, 1 - load)
        reasons.append(f"在办 {c.get('open_cases', 0)}/{capacity} 件")
        score += 5 * (5 - min(max(c.get("grade") or 3, 1), 4))
        score += 4 * float(c.get("rating") or 0)
        reasons.append(f"评分 {float(c.get('rating') or 0):.1f}")
        if c.get("is_expert"):
            reasons.append(f"专家:{c.get('expert_field') or '—'}")
        if load >= 1:
            score -= 100
            reasons.append("已满额")
        ranked.append({**c, "score": round(score, 1), "reasons": reasons})
    ranked.sort(key=lambda c: (-c["score"], c["id"]))
    return ranked

