"""Notifications (app ``notifications``): the inbox, deliveries per channel, town settings."""

from piccolo.columns import JSON, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from core.auth.tables import StaffUser
from core.orgs.tables import Organisation


class Notification(Table, tablename="notification"):
    """One message to one recipient: the inbox row (the ``inbox`` channel) and what other
    channels send. ``dedupe_key`` names the event and the recipient, so one event tells a
    person once however often the job that builds it runs."""

    dedupe_key = Varchar(length=200, unique=True)
    audience = Varchar(length=10, default="staff")  # staff | party
    recipient = ForeignKey(StaffUser, null=True, default=None, index=True)
    case_id = Integer(null=True, default=None, index=True)
    party_id = Integer(null=True, default=None, index=True)
    kind = Varchar(length=40)
    locale = Varchar(length=10, default="zh_CN")
    subject = Varchar(length=200, default="")
    body = Text(default="")
    link = Varchar(length=500, default="")
    data = JSON(default={})
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    read_at = Timestamptz(null=True, default=None)


class Delivery(Table, tablename="notification_delivery"):
    """A notification through one outside channel; unique on (notification, channel)."""

    notification = ForeignKey(Notification, index=True)
    channel = Varchar(length=40)
    address = Varchar(length=200, default="")
    # pending | sending | sent | failed | uncertain (a sender died mid-send; not resent)
    status = Varchar(length=20, default="pending", index=True)
    not_before = Timestamptz(default=TimestamptzNow())
    attempts = Integer(default=0)
    provider_id = Varchar(length=200, default="")
    last_error = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
    sent_at = Timestamptz(null=True, default=None)


class NotificationSettings(Table, tablename="notification_settings"):
    """A town's (or county's) choices for its subtree; the nearest one above a case wins."""

    organisation = ForeignKey(Organisation, unique=True)
    # Local times "HH:MM"; messages to residents wait until quiet_end. Equal times: no quiet hours.
    quiet_start = Varchar(length=5, default="21:00")
    quiet_end = Varchar(length=5, default="08:00")
    # Outside channels used for residents; null means every available one.
    party_channels = JSON(null=True, default=None)
    updated_by = Integer(null=True, default=None)
    updated_at = Timestamptz(default=TimestamptzNow())


class ContactAddress(Table, tablename="contact_address"):
    """Where a channel reaches someone besides a phone: an email, a WeChat openid …
    ``owner`` is "staff:<id>" or "party:<id>"; unique on (owner, channel)."""

    owner = Varchar(length=40, index=True)
    channel = Varchar(length=40)
    address = Varchar(length=200)
    created_at = Timestamptz(default=TimestamptzNow())
