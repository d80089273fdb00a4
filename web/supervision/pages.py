"""The supervision pages: the dashboard of a supervisor's subtree with its overdue list
(催办, 督办 through the lifecycle), and the periodic reports with their CSV and XLSX files."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath
from markupsafe import Markup

from core.actors import Actor
from core.cases.lifecycle import LEAD, transition
from core.errors import BadRequest, Forbidden, JiefenError, NotFound
from core.i18n import label
from core.orgs.tables import Organisation
from core.plugins import ui
from core.reports import service
from web import queries
from web.deps import web_actor
from web.forms import flat
from web.render import hx_target, is_htmx, page, redirect, translator
from web.supervision import charts, figures, reports

STATE_COLOURS = {
    "submitted": "#d99a1e", "registered": "#3a6fb8", "assigned": "#7454b8", "in_mediation": "#1f6f6b",
    "referred": "#9a4f9a", "agreed": "#2f7d4a", "failed": "#b42b2b",
}
RISK_COLOURS = {"high": "#b42b2b", "medium": "#c98a12", "low": "#8a979e"}
PERIOD_LABELS = {"30d": "Last 30 days", "90d": "Last 90 days", "year": "This year", "all": "All time"}


async def supervisor_actor(request: Request[Any, Any, Any]) -> Actor:
    actor = await web_actor(request)
    if not actor.has_any(LEAD):
        raise Forbidden()
    return actor


async def organisation(actor: Actor, org_id: int | None) -> dict[str, Any]:
    """The organisation asked for (the actor's own by default), only inside the actor's subtree."""
    org = await Organisation.select().where(Organisation.id == (org_id or actor.org_id or -1)).first()
    if org is None or not actor.covers(org["path"]):
        raise NotFound("Unknown organisation.")
    return org


def _int(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdecimal() else None  # isdigit() takes "²", which int() refuses


def pct(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def overdue_row_text(_: Callable[..., str]) -> dict[str, str]:
    """The overdue list's fixed words, translated once per page rather than once per row (a
    Jinja call per word and row was a fifth of the page's rendering)."""
    return {
        "number": _("Case number"), "type": _("Dispute type"), "state": _("State"), "risk": _("Risk"),
        "handled_by": _("Handled by"), "deadline": _("Deadline"), "last": _("Last urged or supervised"),
        "action": _("Action"), "collective": _("Collective"), "message_label": _("Message to the handler"),
        "message_hint": _("Message (optional)"), "not_accepted": _("Not accepted yet: urge after acceptance"),
        "elsewhere": _("Handled at another level"),
    }


def dashboard_query(org: dict[str, Any], actor: Actor, period: str, **extra: Any) -> str:
    values = {"org": org["id"] if org["id"] != actor.org_id else "", "period": period if period != figures.DEFAULT_PERIOD else ""}
    values.update(extra)
    return urlencode({k: v for k, v in values.items() if v not in ("", None)})


class SupervisionPages(Controller):
    path = "/dashboard"
    dependencies = {"actor": Provide(supervisor_actor)}

    # ------------------------------------------------------------ the dashboard

    @get("/", name="dashboard")
    async def dashboard(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor]) -> Any:
        params = request.query_params
        org = await organisation(actor, _int(params.get("org")))
        period = params.get("period") or figures.DEFAULT_PERIOD
        if period not in figures.PERIODS:
            period = figures.DEFAULT_PERIOD
        ctx = await self._context(actor, org, period)
        done, number = params.get("done", ""), params.get("case", "")
        if done in figures.SUPERVISION_EVENTS and number:
            ctx["done"] = {"event": done, "number": number}
        if hx_target(request) == "dashboard_body":
            return page(request, actor, "supervision/dashboard.html", ctx, block="dashboard_body")
        return page(request, actor, "supervision/dashboard.html", ctx)

    async def _context(self, actor: Actor, org: dict[str, Any], period: str) -> dict[str, Any]:
        _ = translator(actor.locale)
        now = datetime.now(UTC)
        # Independent reads, at once (each on its own pooled connection).
        d, overdue, types, places, shown = await figures.together(
            figures.dashboard_figures(actor, org_path=org["path"], period=period, now=now),
            figures.overdue_cases(actor, org_path=org["path"], now=now),
            queries.dispute_types(active_only=False), queries.subtree(actor, tree_only=True), widgets(org, actor),
        )
        type_label = queries.type_label(types, actor.locale)
        unit = _("cases")
        ctx: dict[str, Any] = {
            "org": org, "d": d, "period": period, "periods": figures.PERIODS, "period_labels": PERIOD_LABELS,
            "overdue": overdue, "type_label": type_label, "places": places,
            "q": dashboard_query(org, actor, period), "pct": pct, "widgets": shown,
            "report_slugs": reports.KINDS, "kind_titles": reports.KIND_TITLES, "rt": overdue_row_text(_),
        }
        ctx["charts"] = {
            "state": charts.bar_chart("chart-state", _("Open cases by state"), [
                (label("state", s, actor.locale), n, STATE_COLOURS.get(s, charts.ACCENT)) for s, n in d.by_state
            ], unit=unit),
            "risk": charts.bar_chart("chart-risk", _("Open cases by risk"), [
                (label("risk", r, actor.locale), n, RISK_COLOURS[r]) for r, n in d.by_risk
            ], unit=unit),
            "type": charts.bar_chart("chart-type", _("Open cases by dispute type"), [
                (type_label.get(t, t), n) for t, n in d.by_type
            ], unit=unit),
            "daily": charts.line_chart("chart-daily", _("Cases received per day, last 30 days"), d.daily, unit=unit),
        }
        ctx["daily_total"] = sum(n for _day, n in d.daily)
        return ctx

    @post("/cases/{case_id:int}/act", name="dashboard_act")
    async def act(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], case_id: FromPath[int]) -> Any:
        values = flat(await request.form())
        event = values.get("event", "")
        if event not in figures.SUPERVISION_EVENTS:
            raise BadRequest("Unknown action.")
        org = await organisation(actor, _int(values.get("org")))
        period = values.get("period") if values.get("period") in figures.PERIODS else figures.DEFAULT_PERIOD
        message = (values.get("message") or "").strip()[:500]
        error = ""
        try:
            await transition(case_id, event, actor, {"message": message})
        except JiefenError as exc:
            if not is_htmx(request):
                raise
            error = translator(actor.locale)(exc.message, **exc.params)
        rows = await figures.overdue_cases(actor, org_path=org["path"], case_id=case_id)
        if is_htmx(request):
            if not rows:
                return Response(b"", status_code=200, media_type="text/html", headers={"Vary": "HX-Request"})
            ctx = {"c": rows[0], "org": org, "period": period, "done_event": "" if error else event, "row_error": error,
                   "rt": overdue_row_text(translator(actor.locale)),
                   "type_label": queries.type_label(await queries.dispute_types(active_only=False), actor.locale)}
            return page(request, actor, "supervision/dashboard.html", ctx, block="overdue_row")
        number = rows[0]["number"] if rows else str(case_id)
        return redirect(request, f"/admin/dashboard?{dashboard_query(org, actor, period, done=event, case=number)}#overdue")

    # ------------------------------------------------------------ the periodic reports

    @get("/reports/{slug:str}", name="report_page")
    async def report(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], slug: FromPath[str]) -> Any:
        kind, org, day = await self._report_args(request, actor, slug)
        view = await reports.report_view(org, kind, day)
        _ = translator(actor.locale)
        types = await queries.dispute_types(active_only=False)
        type_label = queries.type_label(types, actor.locale)
        parts = reports.breakdowns(view, actor.locale, type_label)
        unit = _("cases")
        ctx = {
            "view": view, "org": org, "slug": slug, "kind": kind, "slugs": reports.KINDS, "kind_titles": reports.KIND_TITLES,
            "title": reports.period_title(kind, view.start, view.end, _), "summary": reports.summary_rows(view, _),
            "parts": parts, "hot_spots": reports.hot_spot_rows(view, type_label), "type_label": type_label,
            "orgs": await report_organisations(actor), "today": reports.today(),
            "prev_day": view.previous_start, "next_day": view.end if view.end <= reports.today() else None,
            "q": lambda **kw: urlencode({k: v for k, v in {"org": org["id"], **kw}.items() if v not in ("", None)}),
            "charts": {
                "type": charts.bar_chart("report-type", _("New cases by dispute type"), [(n, v) for n, v, _p in parts["by_type"]], unit=unit),
                "channel": charts.bar_chart("report-channel", _("New cases by channel"), [(n, v) for n, v, _p in parts["by_channel"]], unit=unit),
            },
        }
        return page(request, actor, "supervision/report.html", ctx)

    @get("/reports/{slug:str}/export/{fmt:str}", name="report_export")
    async def export(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], slug: FromPath[str], fmt: FromPath[str]) -> Response[bytes]:
        if fmt not in ("csv", "xlsx"):
            raise NotFound()
        kind, org, day = await self._report_args(request, actor, slug)
        view = await reports.report_view(org, kind, day)
        _ = translator(actor.locale)
        type_label = queries.type_label(await queries.dispute_types(active_only=False), actor.locale)
        tables = reports.export_tables(view, actor.locale, type_label, _)
        title = f"{_(reports.KIND_TITLES[kind])} {reports.period_title(kind, view.start, view.end, _)}"
        about = reports.about_rows(view, _, title)
        name = f"jiefen-{kind}-{org['id']}-{view.start.isoformat()}.{fmt}"
        headers = {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}
        if fmt == "csv":
            return Response(reports.to_csv(tables, about, _), media_type="text/csv; charset=utf-8", headers=headers)
        return Response(
            reports.to_xlsx(tables, about, _), headers=headers,
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )

    @post("/reports/{slug:str}/keep", name="report_keep")
    async def keep(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor], slug: FromPath[str]) -> Any:
        """Compute the period again and keep it (for a period that has ended)."""
        values = flat(await request.form())
        kind = reports.KINDS.get(slug)
        if kind is None:
            raise NotFound()
        org = await organisation(actor, _int(values.get("org")))
        day = _date(values.get("date")) or reports.default_day(kind)
        start, end = service.period_containing(kind, day)
        if end > reports.today():
            raise BadRequest("The period has not ended yet.")
        await service.store(org, kind, start, replace=True)
        return redirect(request, f"/admin/dashboard/reports/{slug}?{urlencode({'org': org['id'], 'date': start.isoformat()})}")

    async def _report_args(self, request: Request[Any, Any, Any], actor: Actor, slug: str) -> tuple[str, dict[str, Any], date]:
        kind = reports.KINDS.get(slug)
        if kind is None:
            raise NotFound()
        params = request.query_params
        org = await organisation(actor, _int(params.get("org")))
        day = _date(params.get("date")) or reports.default_day(kind)
        if day > reports.today():
            day = reports.today()
        return kind, org, day


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value or "").strip()) if value else None
    except ValueError:
        return None


async def report_organisations(actor: Actor) -> list[dict[str, Any]]:
    """The counties and towns under the actor (the levels the cron job keeps reports for),
    and the actor's own organisation whatever it is."""
    rows = await queries.subtree(actor)
    return [r for r in rows if r["type_code"] in ("county", "town") or r["id"] == actor.org_id]


async def widgets(org: dict[str, Any], actor: Actor) -> list[dict[str, Any]]:
    """Plugins' dashboard widgets for the organisation (a failing one is a notice naming it)."""
    shown = []
    for item in await ui.dashboard_widgets(org, actor):
        if not isinstance(item, dict):
            continue
        plugin = str(item.get("plugin", ""))
        # The hook's contract: html comes from the plugin's own autoescaped template.
        shown.append({
            "plugin": plugin, "id": str(item.get("id") or f"widget-{plugin}"), "title": str(item.get("title") or plugin),
            "html": Markup(str(item.get("html") or "")), "failed": bool(item.get("error")),
        })
    return shown
