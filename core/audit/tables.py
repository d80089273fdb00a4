"""Who looked at which personal data, and when (separate from the case timeline on purpose:
reading must never conflict with writing a case); also who changed what an administrator
governs (dispute-type switches, API keys)."""

from piccolo.columns import JSON, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from core.auth.tables import StaffUser


class AccessLog(Table, tablename="access_log"):
    user = ForeignKey(StaffUser, null=True, default=None, index=True)
    actor_label = Varchar(length=80, default="")
    case_id = Integer(null=True, default=None, index=True)
    party_id = Integer(null=True, default=None)
    what = Varchar(length=60)  # e.g. "party.phone", "party.id_number", "case.detail"
    at = Timestamptz(default=TimestamptzNow(), index=True)
    ip = Varchar(length=64, default="")
    # What ``what`` has no room for, e.g. a new API key's scopes (never a secret).
    detail = JSON(default={})
