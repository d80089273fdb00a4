"""What the plugin shows: the case panel and actions, the dashboard widget and the court's page.
Templates are the plugin's own (autoescaped)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from core.cases.tables import Case, Evidence
from core.orgs.tables import Organisation
from core.plugins import Actor, render_template
from plugins.judicial_confirm import services
from plugins.judicial_confirm.registry import CLERK_ROLE
from plugins.judicial_confirm.tables import Application

S = Application.Status
ADMIN = "/admin/plugins/judicial_confirm"
API = "/api/v1/plugins/judicial_confirm"
STATUS_ZH = {
    S.open: "申请期限内,待申请", S.submitted: "已申请,待法院受理", S.accepted: "法院已受理,待裁定", S.not_accepted: "法院不予受理",
    S.confirmed: "法院裁定确认调解协议有效", S.rejected: "法院裁定驳回申请", S.lapsed: "申请期限届满,未申请", S.cancelled: "已重新调解,不再申请",
}
NEXT_ZH = {"remediate": "重新调解", "sue": "告知当事人向人民法院提起诉讼"}
METHOD_ZH = {"in_person": "当面确认", "written": "书面确认", "video": "视频确认"}
ROLE_ZH = {"applicant": "申请人", "respondent": "被申请人", "third_party": "第三人"}
KIND_ZH = {"identity": "身份证明", "property": "财产权利证明", "other": "其他材料"}


def local(moment: datetime | None, with_time: bool = True) -> str:
    if moment is None:
        return ""
    from core.settings import get_settings

    return moment.astimezone(get_settings().zone).strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")


def _labels() -> dict[str, Any]:
    return {"status_zh": STATUS_ZH, "next_zh": NEXT_ZH, "method_zh": METHOD_ZH, "role_zh": ROLE_ZH, "kind_zh": KIND_ZH, "local": local}


async def actions(case: dict[str, Any], actor: Actor) -> list[dict[str, Any]]:
    app = await services.current(case["id"])
    if app is None:
        if services.may_prepare(case, actor) and await services.effective_agreement(case["id"]):
            return [{"label": "跟踪司法确认申请期限", "url": f"{ADMIN}/cases/{case['id']}/application", "method": "post",
                     "hx_target": "#judicial_confirm_panel", "confirm": None}]
        return []
    found: list[dict[str, Any]] = []
    if app["status"] == S.open and services.window_open(app) and services.may_prepare(case, actor):
        summary = await services.summary(app["id"], row=app)
        if all(p["consented"] for p in summary["parties"]):
            found.append({"label": "提交司法确认申请", "url": f"{ADMIN}/applications/{app['id']}/submit", "method": "post",
                          "hx_target": "#judicial_confirm_panel", "confirm": "提交后生成司法确认申请书并送交受理法院,确定提交?"})
    if app["document_key"]:
        found.append({"label": "下载司法确认申请材料包", "url": f"{API}/applications/{app['id']}/package.zip", "method": "get",
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
        has_agreement=bool(await services.effective_agreement(case["id"])), error=error, wrap=wrap, admin=ADMIN, api=API, **_labels(),
    )


async def panel(case: dict[str, Any], actor: Actor) -> list[dict[str, Any]]:
    # Nothing to show before an agreement takes effect.
    if await services.current(case["id"]) is None and await services.effective_agreement(case["id"]) is None:
        return []
    return [{"id": "judicial_confirm", "title": "司法确认", "html": await panel_html(case, actor)}]


async def widget(organisation: dict[str, Any], actor: Actor) -> dict[str, Any]:
    now = datetime.now(UTC)
    if CLERK_ROLE in actor.roles:
        rows = await services.clerk_list(actor)
        html = render_template(
            "judicial_confirm/widget.html", clerk=True, admin=ADMIN,
            to_accept=[r for r in rows if r["status"] == S.submitted],
            late=[r for r in rows if r["status"] == S.submitted and r["accept_due_at"] and r["accept_due_at"] < now],
            to_rule=[r for r in rows if r["status"] == S.accepted],
        )
        return {"id": "judicial_confirm", "title": "司法确认", "html": html}
    rows = await Application.select().where(
        Application.status.is_in([S.open, S.submitted, S.accepted]) | (Application.ruled_at >= now - timedelta(days=30))
    )
    path = organisation.get("path") or ""
    cases = {c["id"]: c["org_path"] for c in await Case.select(Case.id, Case.org_path).where(Case.id.is_in([r["case_id"] for r in rows] or [-1]))}
    rows = [r for r in rows if cases.get(r["case_id"], "").startswith(path)]
    open_ = [r for r in rows if r["status"] == S.open and now <= r["window_closes_at"]]
    html = render_template(
        "judicial_confirm/widget.html", clerk=False, admin=ADMIN, open=open_,
        closing=[r for r in open_ if r["window_closes_at"] < now + timedelta(days=7)],
        at_court=[r for r in rows if r["status"] in (S.submitted, S.accepted)],
        confirmed=[r for r in rows if r["status"] == S.confirmed],
    )
    return {"id": "judicial_confirm", "title": "司法确认", "html": html}


async def court_html(actor: Actor, csrf: str = "", message: str = "") -> str:
    rows = await services.clerk_list(actor)
    courts = {o["id"]: o["name"] for o in await Organisation.select(Organisation.id, Organisation.name).where(
        Organisation.id.is_in([r["court_org_id"] for r in rows] or [-1])
    )}
    return render_template(
        "judicial_confirm/court.html", actor=actor, applications=rows, courts=courts, csrf=csrf, message=message,
        admin=ADMIN, api=API, now=datetime.now(UTC), **_labels(),
    )
