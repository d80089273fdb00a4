"""Stored reports (app ``reports``): 日动态、周研判、月分析 per organisation and period."""

from piccolo.columns import JSON, BigInt, Date, ForeignKey, Integer, Timestamptz, Varchar
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
