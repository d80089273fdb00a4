"""Stored reports (app ``reports``): 日动态、周研判、月分析 per organisation and period."""

from piccolo.columns import (
    JSON,
    BigInt,
    Date,
    DoublePrecision,
    ForeignKey,
    Integer,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from core.orgs.tables import Organisation

KINDS = ("daily_update", "weekly_review", "monthly_analysis")


class Report(Table, tablename="report"):
    """Figures for the organisation's subtree over [period_start, period_end) in local days.
    Unique on (organisation, kind, period_start): recomputing replaces the figures."""

    organisation = ForeignKey(Organisation, index=True)
    kind = Varchar(length=30)
    period_start = Date()
    period_end = Date()
    figures = JSON(default={})
    computed_at = Timestamptz(default=TimestamptzNow())


class CaseCount(Table, tablename="case_count"):
    """Cases now in (state, dispute_type, risk_level) per organisation whose subtree holds any of
    the case's three paths (a case counts once per organisation). Folded from ``CaseCountDelta``;
    the true count is ``n`` plus the deltas not folded yet (``core.reports.counts``)."""

    organisation = Integer()
    state = Varchar(length=20)
    dispute_type = Varchar(length=40)
    risk_level = Varchar(length=10)
    n = BigInt(default=0)


class CaseCountDelta(Table, tablename="case_count_delta"):
    """±1 rows written by a database trigger on ``dispute_case`` in the writer's transaction:
    appends only, so concurrent transitions never wait on a shared count row."""

    organisation = Integer(index=True)
    state = Varchar(length=20)
    dispute_type = Varchar(length=40)
    risk_level = Varchar(length=10)
    n = Integer(default=0)


class CaseDayFigure(Table, tablename="case_day_figure"):
    """The dashboard's period figures per organisation, local submission day (Asia/Shanghai),
    place (0 = none) and dispute type: sums over the cases submitted that day as they are now,
    counted like ``CaseCount`` (once per organisation on any of the case's paths). Folded from
    ``CaseDayFigureDelta``; the truth is these rows plus the unfolded deltas
    (``core.reports.day_figures``)."""

    organisation = Integer()
    day = Date()
    place = Integer()
    dispute_type = Varchar(length=40)
    submitted = BigInt(default=0)
    accepted = BigInt(default=0)
    closed = BigInt(default=0)
    agreed = BigInt(default=0)
    failed = BigInt(default=0)
    contacted = BigInt(default=0)
    contact_hours = DoublePrecision(default=0.0)
    closed_timed = BigInt(default=0)
    close_hours = DoublePrecision(default=0.0)
    open = BigInt(default=0)
    high = BigInt(default=0)


class CaseDayFigureDelta(Table, tablename="case_day_figure_delta"):
    """−old/+new rows written by a trigger on ``dispute_case`` in the writer's transaction."""

    organisation = Integer(index=True)
    day = Date()
    place = Integer()
    dispute_type = Varchar(length=40)
    submitted = Integer(default=0)
    accepted = Integer(default=0)
    closed = Integer(default=0)
    agreed = Integer(default=0)
    failed = Integer(default=0)
    contacted = Integer(default=0)
    contact_hours = DoublePrecision(default=0.0)
    closed_timed = Integer(default=0)
    close_hours = DoublePrecision(default=0.0)
    open = Integer(default=0)
    high = Integer(default=0)


class CaseDueCount(Table, tablename="case_due_count"):
    """Open cases with a running deadline per organisation (counted like ``CaseCount``), state
    and the UTC hour their earliest deadline falls due (``floor(epoch(next_due_at) / 3600)``):
    the dashboard's overdue count is the hours before now's plus a live count of now's hour.
    Folded from ``CaseDueCountDelta``; the truth is these rows plus the unfolded deltas
    (``core.reports.due_counts``)."""

    organisation = Integer()
    due_hour = BigInt()
    state = Varchar(length=20)
    n = BigInt(default=0)


class CaseDueCountDelta(Table, tablename="case_due_count_delta"):
    """±1 rows written by a trigger on ``dispute_case`` in the writer's transaction."""

    organisation = Integer(index=True)
    due_hour = BigInt()
    state = Varchar(length=20)
    n = Integer(default=0)
