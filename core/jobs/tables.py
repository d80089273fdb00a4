"""The transactional outbox: jobs written in the same transaction as the change that needs them."""

from piccolo.columns import JSON, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class OutboxJob(Table, tablename="outbox_job"):
    job = Varchar(length=80, index=True)
    payload = JSON(default={})
    case_id = Integer(null=True, default=None, index=True)
    # Same key, same job: a second write is skipped (e.g. one notification per event).
    dedupe_key = Varchar(length=200, null=True, default=None, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())
    available_at = Timestamptz(default=TimestamptzNow(), index=True)
    enqueued_at = Timestamptz(null=True, default=None)
    started_at = Timestamptz(null=True, default=None)
    done_at = Timestamptz(null=True, default=None, index=True)
    attempts = Integer(default=0)
    last_error = Text(default="")
    status = Varchar(length=20, default="pending", index=True)  # pending | enqueued | done | failed
