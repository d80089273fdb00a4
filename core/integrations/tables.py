"""Integrations' tables (app ``integrations``)."""

from piccolo.columns import JSON, Boolean, Float, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from core.auth.tables import ApiKey
from core.cases.tables import Case
from core.orgs.tables import Organisation


class Integration(Table, tablename="integration"):
    """A registered outside system that is told about case events by webhook."""

    name = Varchar(length=80)
    organisation = ForeignKey(Organisation, index=True)
    # The key the system files cases with: its cases are "own" and it may read its deliveries.
    api_key = ForeignKey(ApiKey, null=True, default=None, index=True)
    url = Varchar(length=500)
    # The signing secret is derived from the server's secret key and this nonce: never stored.
    secret_nonce = Varchar(length=64)
    # Event names to send, or ["*"] for all.
    events = JSON(default=["*"])
    # "own": cases filed with its key; "subtree": every case in its organisation's subtree.
    scope = Varchar(length=10, default="own")
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    disabled_at = Timestamptz(null=True, default=None)


class WebhookDelivery(Table, tablename="webhook_delivery"):
    """One webhook body to one integration, with its attempts: the delivery log."""

    integration = ForeignKey(Integration, index=True)
    event_id = Integer(null=True, default=None)
    case_id = Integer(null=True, default=None, index=True)
    event_name = Varchar(length=60, default="")
    # "<integration>:<event>" for the first delivery of an event; replays and pings have none.
    dedupe_key = Varchar(length=80, null=True, default=None, unique=True)
    # The exact bytes signed and sent; every attempt (and a replay) sends the same body.
    body = Text()
    status = Varchar(length=20, default="pending", index=True)  # pending | sent | failed
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(null=True, default=None)
    last_status_code = Integer(null=True, default=None)
    last_error = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    delivered_at = Timestamptz(null=True, default=None)
    replay_of = ForeignKey("self", null=True, default=None)
    requested_by = Varchar(length=80, default="")


class Open311Service(Table, tablename="open311_service"):
    """A service a town offers to 311-style apps; the code maps to a dispute type or to a
    grid-issue intake. Unique on (organisation, service_code)."""

    organisation = ForeignKey(Organisation, index=True)
    service_code = Varchar(length=40)
    service_name = Varchar(length=80)
    description = Varchar(length=255, default="")
    group_name = Varchar(length=60, default="")
    keywords = Varchar(length=255, default="")
    intake = Varchar(length=20, default="dispute")  # dispute | grid_issue
    dispute_type = Varchar(length=40, default="other")
    channel = Varchar(length=30, default="photo_report")
    active = Boolean(default=True)
    sort_order = Integer(default=100)


class Open311Request(Table, tablename="open311_request"):
    """A service request filed through Open311, and the case it became."""

    request_id = Varchar(length=40, unique=True)
    case = ForeignKey(Case, index=True)
    api_key = ForeignKey(ApiKey, null=True, default=None, index=True)
    service_code = Varchar(length=40)
    lat = Float(null=True, default=None)
    long = Float(null=True, default=None)
    address = Varchar(length=255, default="")
    address_id = Varchar(length=100, default="")
    media_url = Varchar(length=500, default="")
    device_id = Varchar(length=100, default="")
    account_id = Varchar(length=100, default="")
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
