"""The daily update, weekly review and monthly analysis (日动态、周研判、月分析) as pages and
files: the figures come from ``core.reports.service`` (the kept report when the cron job has
made it, else computed now), side by side with the period before.

Exports carry figures only: counts by type, state, channel and village, never a party's name
or phone. CSV is UTF-8 with a BOM so that Excel opens the Chinese correctly; XLSX through
openpyxl, one sheet per table.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from core.cases.lifecycle import STATES
from core.i18n import label
from core.reports import service
from core.settings import get_settings

# URL slug → report kind (core.reports.tables.KINDS).
KINDS = {"daily": "daily_update", "weekly": "weekly_review", "monthly": "monthly_analysis"}
SLUGS = {kind: slug for slug, kind in KINDS.items()}
KIND_TITLES = {"daily_update": "Daily update", "weekly_review": "Weekly review", "monthly_analysis": "Monthly analysis"}

# (key in the figures, message id, format)
SUMMARY = (
    ("cases", "New cases", "int"),
    ("accepted", "Accepted", "int"),
    ("agreed", "Agreed", "int"),
    ("failed", "Failed", "int"),
    ("closed", "Closed", "int"),
    ("success_rate", "Success rate", "rate"),
    ("closure_rate", "Closure rate", "rate"),
    ("overdue", "Overdue at the end of the period", "int"),
    ("avg_hours_to_first_contact", "Average hours to first contact", "hours"),
    ("avg_hours_to_close", "Average hours to close", "hours"),
)


@dataclass
class ReportView:
    org: dict[str, Any]
    kind: str
    start: date
    end: date
    figures: dict[str, Any]
    previous: dict[str, Any]
    kept: dict[str, Any] | None
    in_progress: bool
    kept_list: list[dict[str, Any]] = field(default_factory=list)

    @property
    def slug(self) -> str:
        return SLUGS[self.kind]

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def previous_start(self) -> date:
        return service.period_containing(self.kind, self.start - timedelta(days=1))[0]


def today() -> date:
    return datetime.now(get_settings().zone).date()


def default_day(kind: str) -> date:
    """The latest complete period: the one the cron job keeps."""
    return service.last_complete_period(kind, today())[0]


async def _figures(org: dict[str, Any], kind: str, start: date, end: date) -> tuple[dict[str, Any], dict[str, Any] | None]:
    kept = await service.kept(org["id"], kind, start) if end <= today() else None
    if kept:
        return kept["figures"], kept
    return await service.figures(org["path"], start, end), None


async def report_view(org: dict[str, Any], kind: str, day: date) -> ReportView:
    start, end = service.period_containing(kind, day)
    figures, kept = await _figures(org, kind, start, end)
    prev_start, prev_end = service.period_containing(kind, start - timedelta(days=1))
    previous, _ = await _figures(org, kind, prev_start, prev_end)
    view = ReportView(org=org, kind=kind, start=start, end=end, figures=figures, previous=previous, kept=kept, in_progress=end > today())
    view.kept_list = await service.list_reports(org["id"], kind, limit=12)
    return view


def period_title(kind: str, start: date, end: date, _: Any) -> str:
    last = end - timedelta(days=1)
    if kind == "daily_update":
        return start.isoformat()
    if kind == "weekly_review":
        week = start.isocalendar()
        return _("Week {week} of {year} ({start} to {end})", week=week.week, year=week.year, start=start.isoformat(), end=last.isoformat())
    return _("{year}-{month:02d}", year=start.year, month=start.month)


# ---------------------------------------------------------------- rows for the page and the files


def fmt(value: Any, kind: str) -> str:
    if value is None:
        return "—"
    if kind == "rate":
        return f"{float(value) * 100:.1f}%"
    if kind == "hours":
        return f"{float(value):.1f}"
    return str(value)


def change(now: Any, before: Any, kind: str, _: Any = None) -> str:
    """The change from the period before: +3, -2, +5.0 pts (percentage points for a rate);
    empty when either is missing."""
    if now is None or before is None:
        return ""
    if kind == "rate":
        diff = (float(now) - float(before)) * 100
        if abs(diff) < 0.05:
            return "0"
        return _("{n} pts", n=f"{diff:+.1f}") if _ else f"{diff:+.1f} pts"
    diff = float(now) - float(before)
    if kind == "hours":
        return "0" if abs(diff) < 0.05 else f"{diff:+.1f}"
    return f"{int(diff):+d}" if diff else "0"


def summary_rows(view: ReportView, _: Any) -> list[dict[str, Any]]:
    return [
        {
            "key": key, "label": _(msg), "kind": kind, "value": view.figures.get(key), "previous": view.previous.get(key),
            "text": fmt(view.figures.get(key), kind), "previous_text": fmt(view.previous.get(key), kind),
            "change": change(view.figures.get(key), view.previous.get(key), kind, _),
        }
        for key, msg, kind in SUMMARY
    ]


def breakdowns(view: ReportView, locale: str, type_label: dict[str, str]) -> dict[str, list[tuple[str, int, int]]]:
    """``{"by_type": [(label, n, n before)], ...}``, largest first (states in lifecycle order)."""
    f, p = view.figures, view.previous

    def ranked(key: str, name: Any) -> list[tuple[str, int, int]]:
        now, before = f.get(key) or {}, p.get(key) or {}
        return [(name(k), now[k], before.get(k, 0)) for k in sorted(now, key=lambda k: (-now[k], k))]

    states = f.get("by_state") or {}
    return {
        "by_type": ranked("by_type", lambda k: type_label.get(k, k)),
        "by_state": [(label("state", s, locale), states[s], (p.get("by_state") or {}).get(s, 0)) for s in STATES if states.get(s)],
        "by_channel": ranked("by_channel", lambda k: label("channel", k, locale)),
    }


def hot_spot_rows(view: ReportView, type_label: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {"name": h["name"], "cases": h["cases"], "top_type": type_label.get(h["top_type"], h["top_type"])}
        for h in view.figures.get("hot_spots") or []
    ]


SECTIONS = (
    ("by_type", "By dispute type"),
    ("by_state", "By state"),
    ("by_channel", "By channel"),
)


def export_tables(view: ReportView, locale: str, type_label: dict[str, str], _: Any) -> list[dict[str, Any]]:
    """The tables of a report as plain values, the page's figures and nothing personal. Each
    row: item, this period, previous period, change, note; ``kinds`` says how to show values."""
    summary = summary_rows(view, _)
    header = [_("Item"), _("This period"), _("Previous period"), _("Change"), _("Note")]
    tables: list[dict[str, Any]] = [{
        "name": _("Summary"), "header": header,
        "rows": [[r["label"], r["value"], r["previous"], r["change"], ""] for r in summary],
        "kinds": [r["kind"] for r in summary],
    }]
    parts = breakdowns(view, locale, type_label)
    for key, title in SECTIONS:
        rows = [[name, n, before, change(n, before, "int"), ""] for name, n, before in parts[key]]
        tables.append({"name": _(title), "header": header, "rows": rows, "kinds": ["int"] * len(rows)})
    before = view.previous.get("by_place") or {}
    spots = [
        [h["name"], h["cases"], before.get(h["name"], 0), change(h["cases"], before.get(h["name"], 0), "int"),
         _("Most common: {type}", type=h["top_type"])]
        for h in hot_spot_rows(view, type_label)
    ]
    tables.append({"name": _("Hot spots"), "header": header, "rows": spots, "kinds": ["int"] * len(spots)})
    return tables


def about_rows(view: ReportView, _: Any, title: str) -> list[list[str]]:
    source = _("Kept report, computed at {at}", at=_local(view.kept["computed_at"])) if view.kept else _("Computed now (not kept)")
    return [
        [_("Report"), title],
        [_("Organisation"), view.org["name"]],
        [_("Period"), f"{view.start.isoformat()} — {view.last_day.isoformat()}"],
        [_("Source"), source],
        [_("Contains no personal data: figures only."), ""],
    ]


def _local(value: Any) -> str:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone(get_settings().zone).strftime("%Y-%m-%d %H:%M") if value else ""


# A cell starting with one of these is a formula to Excel or LibreOffice (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def safe_cell(value: Any) -> Any:
    """Names come from people (an organisation, a dispute type's label): one that would start a
    formula gets a leading apostrophe, so the sheet shows it as text and never runs it."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def to_csv(tables: list[dict[str, Any]], about: list[list[str]], _: Any) -> bytes:
    """One long table (group, item, this period, previous period, change, note) so that every
    row stands alone when filtered in Excel. UTF-8 with a BOM: Excel then reads the Chinese."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_("Group"), *tables[0]["header"]])
    for table in tables:
        for row, kind in zip(table["rows"], table["kinds"], strict=True):
            writer.writerow([safe_cell(table["name"]), safe_cell(row[0]), fmt(row[1], kind), fmt(row[2], kind), row[3], safe_cell(row[4])])
    for key, value in about:
        writer.writerow([_("About"), safe_cell(key), safe_cell(value), "", "", ""])
    return "\ufeff".encode() + out.getvalue().encode("utf-8")


def to_xlsx(tables: list[dict[str, Any]], about: list[list[str]], _: Any) -> bytes:
    """One sheet per table (numbers as numbers, rates as percentages), then "About"."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    for i, table in enumerate(tables):
        sheet = book.active if i == 0 else book.create_sheet()
        sheet.title = _sheet_name(table["name"])
        sheet.append(table["header"])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row, kind in zip(table["rows"], table["kinds"], strict=True):
            sheet.append([safe_cell(row[0]), row[1], row[2], row[3], safe_cell(row[4])])
            for cell in sheet[sheet.max_row][1:3]:
                cell.number_format = {"rate": "0.0%", "hours": "0.0"}.get(kind, "General")
        for col, width in zip("ABCDE", (30, 12, 12, 12, 28), strict=True):
            sheet.column_dimensions[col].width = width
        sheet.freeze_panes = "A2"
    info = book.create_sheet(_sheet_name(_("About")))
    for row in about:
        info.append([safe_cell(v) for v in row])
    info.column_dimensions["A"].width = 30
    info.column_dimensions["B"].width = 50
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _sheet_name(name: str) -> str:
    for ch in "[]:*?/\\":
        name = name.replace(ch, " ")
    return name[:31]
