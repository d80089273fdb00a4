"""The counselling referral's own tables. Names start with ``psych_``; cases, parties,
organisations and staff are referred to by plain ids, so these migrations never depend on the
core's.

What is confidential lives in three columns only: ``CounsellingSession.notes``,
``FollowUp.notes`` and ``Referral.result_note`` (and a grading's ``reason`` when a counsellor
gave it). ``services.views`` shows them to the counsellors of the referral's station and that
station's supervisor, to nobody else.
"""

from enum import StrEnum

from piccolo.columns import JSON, Boolean, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Counsellor(Table, tablename="psych_counsellor"):
    """One counsellor of the pool (心理咨询师储备库), working at a counselling station."""

    class Specialty(StrEnum):
        marriage_family = "marriage_family"  # 婚姻家庭
        youth = "youth"  # 青少年
        crisis = "crisis"  # 危机干预

    # The counsellor's staff account (role ``counsellor`` at the station); None for one who
    # has no account yet (then no queue and no alerts: the station passes them on).
    user_id = Integer(null=True, default=None, index=True)
    station_id = Integer(index=True)
    # The station's materialised path, for subtree filters without a join.
    station_path = Varchar(length=255, index=True, default="")
    name = Varchar(length=60)
    phone = Varchar(length=40, default="")
    specialties = JSON(default=[])
    # Taking new referrals now (leave, training …: False).
    available = Boolean(default=True)
    # Open referrals the counsellor may carry at once.
    max_load = Integer(default=8)
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())


class Referral(Table, tablename="psych_referral"):
    """One party of one case referred to one counsellor, with the party's consent."""

    class Status(StrEnum):
        open = "open"  # counselling; the case waits in ``referred`` if the referral paused it
        beside = "beside"  # counselling goes on beside the case's mediation
        ended = "ended"

    class Grade(StrEnum):
        green = "green"
        yellow = "yellow"
        red = "red"

    class Result(StrEnum):
        improved = "improved"  # 情绪疏导有效
        stable = "stable"  # 情绪平稳
        medical = "medical"  # 转介专业医疗机构
        declined = "declined"  # 当事人拒绝继续
        other = "other"

    class Consent(StrEnum):
        written = "written"  # 书面同意
        oral = "oral"  # 口头同意(已记录)
        guardian = "guardian"  # 监护人同意

    case_id = Integer(index=True)
    party_id = Integer(index=True)
    counsellor = ForeignKey(Counsellor, index=True)
    station_id = Integer(index=True)
    status = Varchar(length=20, default=Status.open, choices=Status, index=True)
    # The referral put the case into ``referred`` (and will resume it).
    paused_case = Boolean(default=False)
    grade = Varchar(length=10, default=Grade.green, choices=Grade)
    graded_at = Timestamptz(default=TimestamptzNow())
    # Why the case's worker referred the party (seen by the case's staff and the counsellors).
    reason = Text(default="")
    consent_method = Varchar(length=20, default=Consent.written, choices=Consent)
    consent_note = Varchar(length=200, default="")
    consent_at = Timestamptz(default=TimestamptzNow())
    referred_by = Integer(null=True, default=None)
    # The next follow-up (yellow and red only); the cron job makes it due.
    next_follow_up_at = Timestamptz(null=True, default=None, index=True)
    result = Varchar(length=20, null=True, default=None, choices=Result)
    result_note = Text(default="")  # confidential
    ended_at = Timestamptz(null=True, default=None)
    ended_by = Integer(null=True, default=None)
    # A supervisor allowed the case to close while this red referral is open.
    override_reason = Text(default="")
    override_by = Integer(null=True, default=None)
    override_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class Grading(Table, tablename="psych_grading"):
    """Every grade given, with its reason: the referral's history."""

    class Side(StrEnum):
        case = "case"  # the case's worker or supervisor
        counselling = "counselling"  # a counsellor or the station's supervisor

    referral = ForeignKey(Referral, index=True)
    grade = Varchar(length=10, choices=Referral.Grade)
    reason = Text(default="")  # confidential when side is counselling
    side = Varchar(length=20, default=Side.case, choices=Side)
    by_user = Integer(null=True, default=None)
    at = Timestamptz(default=TimestamptzNow())


class CounsellingSession(Table, tablename="psych_session"):
    """A counselling session held: everyone sees that it happened, only counsellors its notes."""

    class Mode(StrEnum):
        in_person = "in_person"
        phone = "phone"
        video = "video"
        home_visit = "home_visit"

    referral = ForeignKey(Referral, index=True)
    counsellor = ForeignKey(Counsellor)
    held_at = Timestamptz()
    mode = Varchar(length=20, default=Mode.in_person, choices=Mode)
    minutes = Integer(default=50)
    notes = Text(default="")  # confidential
    created_by = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class FollowUp(Table, tablename="psych_follow_up"):
    """A follow-up (回访) made due by the schedule of a yellow or red referral."""

    class Status(StrEnum):
        due = "due"
        done = "done"

    referral = ForeignKey(Referral, index=True)
    due_at = Timestamptz(index=True)
    status = Varchar(length=10, default=Status.due, choices=Status)
    notes = Text(default="")  # confidential
    done_at = Timestamptz(null=True, default=None)
    done_by = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
