"""What the plugin shows: the case panel and action, the dashboard widget, the statistics per
association and the association's inbox. Templates are the plugin's own (autoescaped)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from core.plugins import Actor, render_template
from core.plugins.host import translator
from core.plugins.web import page
from plugins.industry_assoc import services
from plugins.industry_assoc.registry import NAME, STAFF_ROLE, list_associations, suggest
from plugins.industry_assoc.tables import Transfer

S = Transfer.Status
# English message ids, shown in the user's language through the plugin's catalogue (locale/).
STATUS_LABELS = {
    S.pending: "Waiting for the association", S.accepted: "Mediated by the association", S.declined: "Declined by the association",
    S.timed_out: "No answer in time; back at the centre", S.cancelled: "Taken back", S.returned: "Handed back to the centre",
    S.concluded: "The association's mediation ended",
}
OUTCOME_LABELS = {"agreed": "Agreement reached", "failed": "No agreement", "withdrawn": "Withdrawn by the applicant"}

def local(moment: datetime | None) -> str:
    """A moment as the centre reads it (Asia/Shanghai), to the minute."""
    if moment is None:
        return ""
    from core.settings import get_settings

    return moment.astimezone(get_settings().zone).strftime("%Y-%m-%d %H:%M")


def _labelled(transfer: dict[str, Any], actor: Actor) -> dict[str, Any]:
    _ = translator(NAME, actor.locale)
    status = STATUS_LABELS.get(transfer["status"])
    outcome = OUTCOME_LABELS.get(transfer["outcome"] or "")
    return {**transfer, "status_label": _(status) if status else transfer["status"], "outcome_label": _(outcome) if outcome else ""}


async def actions(case: dict[str, Any], actor: Actor) -> list[dict[str, Any]]:
    base = f"/admin/plugins/industry_assoc/cases/{case['id']}"
    if services.may_transfer(case, actor) and not await services.open_transfer(case["id"]):
        return [{"label": translator(NAME, actor.locale)("Transfer to an industry association"), "url": f"{base}/transfer-form", "method": "get", "hx_target": "#industry_assoc_panel", "confirm": None}]
    pending = await services.open_transfer(case["id"])
    if pending and pending["status"] == S.pending and services.may_cancel(case, pending, actor):
        return [{
            "label": translator(NAME, actor.locale)("Take the transfer back"),
            "url": f"/admin/plugins/industry_assoc/transfers/{pending['id']}/cancel", "method": "post", "hx_target": "#industry_assoc_panel",
            "confirm": translator(NAME, actor.locale)("The case comes back to the centre for mediation. Take it back?"),
        }]
    return []


async def panel_html(case: dict[str, Any], actor: Actor, *, form: bool = False, error: str = "", wrap: bool = True) -> str:
    """The panel; ``wrap=False`` gives its inside, for an HTMX swap into ``#industry_assoc_panel``."""
    transfers = [_labelled(t, actor) for t in await services.transfers_of_case(case["id"])]
    may = services.may_transfer(case, actor) and not any(t["status"] in services.OPEN for t in transfers)
    suggestions = await suggest(case, actor.locale) if may and form else []
    return render_template(
        "industry_assoc/panel.html", local=local, case=case, transfers=transfers, may_transfer=may, form=form and may,
        suggestions=suggestions, error=error, wrap=wrap, _=translator(NAME, actor.locale),
    )


async def panel(case: dict[str, Any], actor: Actor) -> list[dict[str, Any]]:
    # Only on the cases it bears on: transferred ones, and those that may be transferred.
    if not services.may_transfer(case, actor) and not await services.transfers_of_case(case["id"]):
        return []
    return [{"id": "industry_assoc", "title": translator(NAME, actor.locale)("Industry association mediation"), "html": await panel_html(case, actor)}]


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
        month=summarise(recent), association_staff=STAFF_ROLE in actor.roles, _=translator(NAME, actor.locale),
    )
    return {"id": "industry_assoc", "title": translator(NAME, actor.locale)("Industry association mediation"), "html": html}


async def inbox_page(request: Any, actor: Actor, message: str = "", status: int = 200) -> Any:
    """The association's transfers: those waiting for an answer first, the soonest due first;
    then the rest, newest first. HTMX gets the ``main`` block."""
    from core.plugins.web import is_htmx

    rows = sorted((_labelled(r, actor) for r in await services.list_transfers(actor)), key=lambda r: (
        r["status"] != S.pending, r["due_at"] if r["status"] == S.pending else -r["transferred_at"].timestamp(), -r["id"],
    ))
    details = {}
    for r in rows:
        if r["status"] == S.pending and STAFF_ROLE in actor.roles:
            details[r["id"]] = await services.for_association(actor, r["id"])
    return await page(
        request, actor, "industry_assoc/inbox.html", status=status, local=local, actor=actor, transfers=rows, details=details,
        message=message, fragment=is_htmx(request), _=translator(NAME, actor.locale),
    )


async def stats_page(request: Any, actor: Actor) -> Any:
    return await page(request, actor, "industry_assoc/stats.html", local=local, stats=await stats(actor), _=translator(NAME, actor.locale))
