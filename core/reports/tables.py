"""Stored reports (app ``reports``): 日动态、周研判、月分析 per organisation and period."""

from piccolo.columns import JSON, Date, ForeignKey, Timestamptz, Varchar
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
