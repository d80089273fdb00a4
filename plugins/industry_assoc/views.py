"""What the plugin shows: the case panel and action, the dashboard widget, the statistics per
association and the association's inbox. Templates are the plugin's own (autoescaped)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from core.plugins import Actor, render_template
from plugins.industry_assoc import services
from plugins.industry_assoc.registry import STAFF_ROLE, list_associations, suggest
from plugins.industry_assoc.tables import Transfer

S = Transfer.Status
STATUS_ZH = {
    S.pending: "待协会答复", S.accepted: "协会调解中", S.declined: "协会不予接收", S.timed_out: "逾期未答复,已退回",
    S.cancelled: "已撤回", S.returned: "协会已退回中心", S.concluded: "协会调解已结束",
}
OUTCOME_ZH = {"agreed": "调解成功", "failed": "调解不成", "withdrawn": "申请人撤回"}


def local(moment: datetime | None) -> str:
    """A moment as the centre reads it (Asia/Shanghai), to the minute."""
    if moment is None:
        return ""
    from core.settings import get_settings

    return moment.astimezone(get_settings().zone).strftime("%Y-%m-%d %H:%M")


def _zh(transfer: dict[str, Any]) -> dict[str, Any]:
    return {**transfer, "status_zh": STATUS_ZH.get(transfer["status"], transfer["status"]), "outcome_zh": OUTCOME_ZH.get(transfer["outcome"], "")}


async def actions(case: dict[str, Any], actor: Actor) -> list[dict[str, Any]]:
    base = f"/admin/plugins/industry_assoc/cases/{case['id']}"
    if services.may_transfer(case, actor) and not await services.open_transfer(case["id"]):
        return [{"label": "转行业协会调解", "url": f"{base}/transfer-form", "method": "get", "hx_target": "#industry_assoc_panel", "confirm": None}]
    pending = await services.open_transfer(case["id"])
    if pending and pending["status"] == S.pending and services.may_cancel(case, pending, actor):
        return [{
            "label": "撤回行业协会转办", "url": f"/admin/plugins/industry_assoc/transfers/{pending['id']}/cancel", "method": "post",
            "hx_target": "#industry_assoc_panel", "confirm": "撤回后案件回到本中心调解,确定撤回?",
        }]
    return []


async def panel_html(case: dict[str, Any], actor: Actor, *, form: bool = False, error: str = "", wrap: bool = True) -> str:
    """The panel; ``wrap=False`` gives its inside, for an HTMX swap into ``#industry_assoc_panel``."""
    transfers = [_zh(t) for t in await services.transfers_of_case(case["id"])]
    may = services.may_transfer(case, actor) and not any(t["status"] in services.OPEN for t in transfers)
    suggestions = await suggest(case, actor.locale) if may and form else []
    return render_template(
        "industry_assoc/panel.html", local=local, case=case, transfers=transfers, may_transfer=may, form=form and may,
        suggestions=suggestions, error=error, wrap=wrap,
    )


async def panel(case: dict[str, Any], actor: Actor) -> list[dict[str, Any]]:
    # Only on the cases it bears on: transferred ones, and those that may be transferred.
    if not services.may_transfer(case, actor) and not await services.transfers_of_case(case["id"]):
        return []
    return [{"id": "industry_assoc", "title": "行业协会调解", "html": await panel_html(case, actor)}]


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts of one association's transfers (or of all of them)."""
    count = {s: sum(1 for r in rows if r["status"] == s) for s in S}
    accepted = count[S.accepted] + count[S.concluded] + count[S.returned]
    answered = accepted + count[S.declined] + count[S.timed_out]
    agreed = sum(1 for r in rows if r["outcome"] == "agreed")
    concluded = count[S.concluded]
    return {
        "transfers": len(rows), "pending": count[S.pending], "accepted": accepted, "declined": count[S.declined],
        "timed_out": count[S.timed_out], "cancelled": count[S.cancelled], "returned": count[S.returned],
        "mediating": count[S.accepted], "concluded": concluded, "agreed": agreed,
        "failed": sum(1 for r in rows if r["outcome"] == "failed"),
        "acceptance_rate": round(accepted / answered, 3) if answered else None,
        "success_rate": round(agreed / concluded, 3) if concluded else None,
    }


async def stats(actor: Actor, since: datetime | None = None, until: datetime | None = None) -> dict[str, Any]:
    """Per association: transfers, accepted, declined, timed out, agreed … over the transfers
    this actor may see, transferred in [since, until)."""
    rows = await services.list_transfers(actor, limit=100_000)
    rows = [r for r in rows if (since is None or r["transferred_at"] >= since) and (until is None or r["transferred_at"] < until)]
    names = {a["id"]: a["name"] for a in await list_associations()}
    per = []
    for association_id in sorted({r["association_id"] for r in rows}, key=lambda i: names.get(i, "")):
        mine = [r for r in rows if r["association_id"] == association_id]
        per.append({"association_id": association_id, "name": names.get(association_id, ""), **summarise(mine)})
    return {"since": since, "until": until, "associations": per, "total": summarise(rows)}


async def widget(organisation: dict[str, Any], actor: Actor) -> dict[str, Any]:
    rows = await services.list_transfers(actor, limit=100_000)
    if STAFF_ROLE not in actor.roles:
        # The dashboard's organisation: cases of its subtree, or associations in it.
        path = organisation.get("path") or ""
        from core.cases.tables import Case

        cases = {c["id"]: c["org_path"] for c in await Case.select(Case.id, Case.org_path).where(
            Case.id.is_in([r["case_id"] for r in rows] or [-1])
        )}
        rows = [r for r in rows if cases.get(r["case_id"], "").startswith(path) or r["association_path"].startswith(path)]
    now = datetime.now(UTC)
    pending = [r for r in rows if r["status"] == S.pending]
    recent = [r for r in rows if r["transferred_at"] >= now - timedelta(days=30)]
    html = render_template(
        "industry_assoc/widget.html", local=local, pending=pending, due_soon=[r for r in pending if r["due_at"] < now + timedelta(days=1)],
        month=summarise(recent), association_staff=STAFF_ROLE in actor.roles,
    )
    return {"id": "industry_assoc", "title": "行业协会调解", "html": html}


async def inbox_html(actor: Actor, csrf: str = "", message: str = "") -> str:
    # Those waiting for an answer first, the soonest due first; then the rest, newest first.
    rows = sorted((_zh(r) for r in await services.list_transfers(actor)), key=lambda r: (
        r["status"] != S.pending, r["due_at"] if r["status"] == S.pending else -r["transferred_at"].timestamp(), -r["id"],
    ))
    details = {}
    for r in rows:
        if r["status"] == S.pending and STAFF_ROLE in actor.roles:
            details[r["id"]] = await services.for_association(actor, r["id"])
    return render_template("industry_assoc/inbox.html", local=local, actor=actor, transfers=rows, details=details, csrf=csrf, message=message)


async def stats_html(actor: Actor) -> str:
    return render_template("industry_assoc/stats.html", local=local, stats=await stats(actor))
