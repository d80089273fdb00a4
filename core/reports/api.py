"""Reports API: kept reports, live figures for any period, and the deadline board."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, TypedDict

import msgspec
from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from core.actors import Actor
from core.api.deps import current_actor
from core.auth.service import require_scope
from core.errors import BadRequest, NotFound
from core.notifications.api import organisation_for_admin
from core.reports import service
from core.reports.tables import KINDS

READERS = frozenset({"supervisor", "admin", "window_staff"})


class Period(TypedDict):
    start: str
    end: str


class HotSpot(TypedDict):
    place_id: int
    name: str
    cases: int
    top_type: str


class Figures(TypedDict):
    period: Period
    cases: int
    by_state: dict[str, int]
    by_type: dict[str, int]
    by_channel: dict[str, int]
    by_place: dict[str, int]
    accepted: int
    agreed: int
    failed: int
    closed: int
    success_rate: float | None
    closure_rate: float | None
    overdue: int
    avg_hours_to_first_contact: float | None
    avg_hours_to_close: float | None
    hot_spots: list[HotSpot]


class ReportSummary(TypedDict):
    id: int
    organisation: int
    kind: str
    period_start: date
    period_end: date
    computed_at: datetime


class ReportList(TypedDict):
    items: list[ReportSummary]


class KeptReport(ReportSummary):
    figures: Figures


class LiveDeadline(TypedDict):
    case_id: int
    kind: str
    due_at: datetime


class DeadlineBoard(TypedDict):
    red: list[LiveDeadline]
    yellow: list[LiveDeadline]
    supervised: list[int]


class ComputeIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    organisation_id: int
    kind: str
    period_start: date


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise BadRequest("Unknown report kind.")
    return kind


class ReportController(Controller):
    path = "/api/v1/reports"
    tags = ["reports"]
    dependencies = {"actor": Provide(current_actor)}

    @get("/", summary="Kept reports of an organisation, newest first")
    async def list_reports(
        self, actor: NamedDependency[Actor], organisation_id: FromQuery[int], kind: FromQuery[str | None] = None, limit: Annotated[int, QueryParameter(ge=1, le=366)] = 30,
    ) -> ReportList:
        require_scope(actor, "reports:read")
        org = await organisation_for_admin(actor, organisation_id, READERS)
        return {"items": await service.list_reports(org["id"], _kind(kind) if kind else None, limit)}

    @get("/{report_id:int}", summary="One kept report with its figures")
    async def one(self, actor: NamedDependency[Actor], report_id: FromPath[int]) -> KeptReport:
        report = await service.get_report(report_id)
        if report is None:
            raise NotFound()
        require_scope(actor, "reports:read")
        await organisation_for_admin(actor, report["organisation"], READERS)
        return report

    @get("/live", summary="Figures for any period, computed now (not kept)")
    async def live(self, actor: NamedDependency[Actor], organisation_id: FromQuery[int], start: FromQuery[date], end: FromQuery[date]) -> Figures:
        require_scope(actor, "reports:read")
        org = await organisation_for_admin(actor, organisation_id, READERS)
        if end <= start or (end - start).days > 366:
            raise BadRequest("The period must be between one day and a year.")
        return await service.figures(org["path"], start, end)

    @post("/compute", summary="Compute (again) and keep the report of a period", status_code=200)
    async def compute(self, actor: NamedDependency[Actor], data: JSONBody[ComputeIn]) -> KeptReport:
        require_scope(actor, "reports:read")
        org = await organisation_for_admin(actor, data.organisation_id, frozenset({"supervisor", "admin"}))
        return await service.store(org, _kind(data.kind), data.period_start, replace=True)

    @get("/deadlines", summary="Live deadlines by warning colour and cases under supervision")
    async def deadlines(self, actor: NamedDependency[Actor], organisation_id: FromQuery[int]) -> DeadlineBoard:
        require_scope(actor, "reports:read")
        org = await organisation_for_admin(actor, organisation_id, READERS)
        return await service.deadline_board(org["path"])


ROUTES = [ReportController]
