"""What the plugin shows: the case panel and actions, the dashboard widget and the court's page.
Templates are the plugin's own (autoescaped)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from core.cases.tables import Case, Evidence
from core.orgs.tables import Organisation
from core.plugins import Actor, render_template
from core.plugins.host import translator
from core.plugins.web import page
from plugins.judicial_confirm import services
from plugins.judicial_confirm.registry import CLERK_ROLE, NAME
from plugins.judicial_confirm.tables import Application

S = Application.Status
ADMIN = "/admin/plugins/judicial_confirm"
API = "/api/v1/plugins/judicial_confirm"
# English message ids, shown in the user's language through the plugin's catalogue (locale/).
STATUS_LABELS = {
    S.open: "Within the window, not yet applied", S.submitted: "Applied; waiting for the court to accept",
    S.accepted: "Accepted by the court; waiting for the ruling", S.not_accepted: "Not accepted by the court",
    S.confirmed: "The court confirmed the mediation agreement", S.rejected: "The court rejected the application",
    S.lapsed: "The window closed without an application", S.cancelled: "Mediated again; no application",
}
NEXT_LABELS = {"remediate": "Mediation again", "sue": "The parties were told they may sue"}
METHOD_LABELS = {"in_person": "In person", "written": "In writing", "video": "On video"}
ROLE_LABELS = {"applicant": "Applicant", "respondent": "Respondent", "third_party": "Third party"}
KIND_LABELS = {"identity": "Identity document", "property": "Proof of property", "other": "Other material"}

def local(moment: datetime | None, with_time: bool = True) -> str:
    if moment is None:
        return ""
    from core.settings import get_settings

    return moment.astimezone(get_settings().zone).strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")


def _labels(actor: Actor) -> dict[str, Any]:
    _ = translator(NAME, actor.locale)
    named = {"status": STATUS_LABELS, "next": NEXT_LABELS, "method": METHOD_LABELS, "role": ROLE_LABELS, "kind": KIND_LABELS}
    return {f"{k}_label": {code: _(text) for code, text in v.items()} for k, v in named.items()} | {"local": local, "_": _}


async def actions(case: dict[str, Any], actor: Actor) -> list[dict[str, Any]]:
    app = await services.current(case["id"])
    if app is None:
        if services.may_prepare(case, actor) and await services.effective_agreement(case["id"]):
            return [{"label": translator(NAME, actor.locale)("Track the window for judicial confirmation"), "url": f"{ADMIN}/cases/{case['id']}/application", "method": "post",
                     "hx_target": "#judicial_confirm_panel", "confirm": None}]
        return []
    found: list[dict[str, Any]] = []
    if app["status"] == S.open and services.window_open(app) and services.may_prepare(case, actor):
        summary = await services.summary(app["id"], row=app)
        if all(p["consented"] for p in summary["parties"]):
            _ = translator(NAME, actor.locale)
            found.append({"label": _("Apply for judicial confirmation"), "url": f"{ADMIN}/applications/{app['id']}/submit", "method": "post",
                          "hx_target": "#judicial_confirm_panel",
                          "confirm": _("The application is drawn up and sent to the court. Apply now?")})
    if app["document_key"]:
        found.append({"label": translator(NAME, actor.locale)("Download the application materials"), "url": f"{API}/applications/{app['id']}/package.zip", "method": "get",
                      "hx_target": None, "confirm": None})
    return found


async def panel_html(case: dict[str, Any], actor: Actor, error: str = "", wrap: bool = True) -> str:
    """The panel; ``wrap=False`` gives its inside, for an HTMX swap into ``#judicial_confirm_panel``."""
    app = await services.current(case["id"])
    summary = await services.summary(app["id"], row=await services.get(app["id"])) if app else None
    evidence = []
    if summary and summary["status"] == S.open:
        evidence = await Evidence.select(Evidence.id, Evidence.filename).where(Evidence.case == case["id"]).order_by(Evidence.id)
    return render_template(
        "judicial_confirm/panel.html", case=case, app=summary, may_prepare=services.may_prepare(case, actor), evidence=evidence,
        has_agreement=bool(await services.effective_agreement(case["id"])), error=error, wrap=wrap, admin=ADMIN, api=API, **_labels(actor),
    )


async def panel(case: dict[str, Any], actor: Actor) -> list[dict[str, Any]]:
    # Nothing to show before an agreement takes effect.
    if await services.current(case["id"]) is None and await services.effective_agreement(case["id"]) is None:
        return []
    return [{"id": "judicial_confirm", "title": translator(NAME, actor.locale)("Judicial confirmation"), "html": await panel_html(case, actor)}]


async def widget(organisation: dict[str, Any], actor: Actor) -> dict[str, Any]:
    now = datetime.now(UTC)
    if CLERK_ROLE in actor.roles:
        rows = await services.clerk_list(actor)
        html = render_template(
            "judicial_confirm/widget.html", clerk=True, admin=ADMIN, _=translator(NAME, actor.locale),
            to_accept=[r for r in rows if r["status"] == S.submitted],
            late=[r for r in rows if r["status"] == S.submitted and r["accept_due_at"] and r["accept_due_at"] < now],
            to_rule=[r for r in rows if r["status"] == S.accepted],
        )
        return {"id": "judicial_confirm", "title": translator(NAME, actor.locale)("Judicial confirmation"), "html": html}
    rows = await Application.select().where(
        Application.status.is_in([S.open, S.submitted, S.accepted]) | (Application.ruled_at >= now - timedelta(days=30))
    )
    path = organisation.get("path") or ""
    cases = {c["id"]: c["org_path"] for c in await Case.select(Case.id, Case.org_path).where(Case.id.is_in([r["case_id"] for r in rows] or [-1]))}
    rows = [r for r in rows if cases.get(r["case_id"], "").startswith(path)]
    open_ = [r for r in rows if r["status"] == S.open and now <= r["window_closes_at"]]
    html = render_template(
        "judicial_confirm/widget.html", clerk=False, admin=ADMIN, open=open_, _=translator(NAME, actor.locale),
        closing=[r for r in open_ if r["window_closes_at"] < now + timedelta(days=7)],
        at_court=[r for r in rows if r["status"] in (S.submitted, S.accepted)],
        confirmed=[r for r in rows if r["status"] == S.confirmed],
    )
    return {"id": "judicial_confirm", "title": translator(NAME, actor.locale)("Judicial confirmation"), "html": html}


async def court_page(request: Any, actor: Actor, message: str = "", status: int = 200) -> Any:
    """The court's applications (HTMX gets the ``main`` block)."""
    from core.plugins.web import is_htmx

    rows = await services.clerk_list(actor)
    courts = {o["id"]: o["name"] for o in await Organisation.select(Organisation.id, Organisation.name).where(
        Organisation.id.is_in([r["court_org_id"] for r in rows] or [-1])
    )}
    return await page(
        request, actor, "judicial_confirm/court.html", status=status, actor=actor, applications=rows, courts=courts, message=message,
        admin=ADMIN, api=API, now=datetime.now(UTC), fragment=is_htmx(request), **_labels(actor),
    )
