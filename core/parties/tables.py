"""Parties' tables (app ``parties``). Codes, links and sessions are stored only as digests."""

from piccolo.columns import Boolean, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from core.cases.tables import Case, FollowUp, Party


class OtpCode(Table, tablename="party_otp"):
    """A one-time code sent to a phone for one purpose (``apply``, or ``track`` a link)."""

    # HMAC of the phone: the table says how often a number asked, not which number.
    phone_digest = Varchar(length=64, index=True)
    purpose = Varchar(length=20)
    # What the code opens: "" for an application, "link:<id>" for a tracking link.
    subject = Varchar(length=60, default="")
    code_digest = Varchar(length=64)
    ip = Varchar(length=64, default="", index=True)
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)
    # The request that used it (an application's Idempotency-Key digest), so a retry is let in.
    used_for = Varchar(length=64, default="")
    failed_attempts = Integer(default=0)


class TrackingLink(Table, tablename="party_tracking_link"):
    """A private link to one party's view of one case."""

    token_digest = Varchar(length=64, unique=True)
    case = ForeignKey(Case, index=True)
    party = ForeignKey(Party, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    revoked_at = Timestamptz(null=True, default=None)
    last_used_at = Timestamptz(null=True, default=None)


class PartySession(Table, tablename="party_session"):
    """A short session after a fresh code: a cookie on the page, a bearer token in the API."""

    token_digest = Varchar(length=64, unique=True)
    link = ForeignKey(TrackingLink, index=True)
    case = ForeignKey(Case)
    party = ForeignKey(Party)
    csrf_token = Varchar(length=64)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    ended_at = Timestamptz(null=True, default=None)
    ip = Varchar(length=64, default="")


class PartyRating(Table, tablename="party_rating"):
    """A party's rating (评单) of a case: one per party; the score lives in the follow-up row."""

    case = ForeignKey(Case, index=True)
    party = ForeignKey(Party, unique=True)
    follow_up = ForeignKey(FollowUp)
    rating = Integer()
    created_at = Timestamptz(default=TimestamptzNow())


class PartyMessage(Table, tablename="party_message"):
    """A question or remark a party leaves for the mediator (留言)."""

    case = ForeignKey(Case, index=True)
    party = ForeignKey(Party)
    body = Text()
    created_at = Timestamptz(default=TimestamptzNow())
    answered = Boolean(default=False)
