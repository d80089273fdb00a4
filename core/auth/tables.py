"""Staff accounts, their sessions and integration API keys."""

from piccolo.columns import JSON, Boolean, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from core.orgs.tables import Organisation

ROLES = ("window_staff", "mediator", "handler", "supervisor", "admin", "grid_worker")


class StaffUser(Table, tablename="staff_user"):
    username = Varchar(length=60, unique=True)
    display_name = Varchar(length=60)
    password_hash = Varchar(length=255)
    organisation = ForeignKey(Organisation, index=True)
    # A list of role codes; plugins may add roles of their own.
    roles = JSON(default=[])
    phone = Varchar(length=40, default="")
    locale = Varchar(length=10, default="zh_CN")
    active = Boolean(default=True)
    failed_logins = Integer(default=0)
    locked_until = Timestamptz(null=True, default=None)
    last_login_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class StaffSession(Table, tablename="staff_session"):
    # Only a hash of the cookie's token is stored, so a leaked table opens no session.
    token_hash = Varchar(length=64, unique=True)
    user = ForeignKey(StaffUser, index=True)
    csrf_token = Varchar(length=64)
    created_at = Timestamptz(default=TimestamptzNow())
    last_seen_at = Timestamptz(default=TimestamptzNow())
    ended_at = Timestamptz(null=True, default=None)
    ip = Varchar(length=64, default="")
    user_agent = Varchar(length=255, default="")


class ApiKey(Table, tablename="api_key"):
    """A key for a hotline, grid app or provincial platform, scoped to an organisation."""

    name = Varchar(length=80)
    prefix = Varchar(length=16, index=True)
    key_hash = Varchar(length=64, unique=True)
    organisation = ForeignKey(Organisation)
    # Operations the key may perform, e.g. ["cases:create", "cases:read"].
    scopes = JSON(default=[])
    # The roles the key acts with when a transition checks roles.
    roles = JSON(default=["grid_worker"])
    rate_limit_per_minute = Integer(default=120)
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    last_used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)


class SignInFailure(Table, tablename="signin_failure"):
    """Failed sign-ins for names that are no (active) account, so that they lock like real ones
    (``StaffUser.failed_logins``) in every app process alike. Keyed by the name's digest."""

    name_digest = Varchar(length=64, unique=True)
    failed = Integer(default=0)
    locked_until = Timestamptz(null=True, default=None)
    updated_at = Timestamptz(default=TimestamptzNow(), index=True)
