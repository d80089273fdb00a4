"""What the retention policy did, one row per anonymised case (its presence makes a second run
skip the case, and tells the verification page why an issued file is gone)."""

from piccolo.columns import JSON, Integer, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class AnonymisedCase(Table, tablename="anonymised_case"):
    case_id = Integer(unique=True)
    anonymised_at = Timestamptz(default=TimestamptzNow())
    closed_at = Timestamptz(null=True, default=None)
    retention_days = Integer(default=0)
    # Counts only: parties, files removed, rows scrubbed per plugin.
    summary = JSON(default={})
    by = Varchar(length=80, default="system")
