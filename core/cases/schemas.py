"""What each action needs: request bodies for the API, validated by msgspec."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

import msgspec
from msgspec import Meta, Struct

NonEmpty = Annotated[str, Meta(min_length=1, max_length=4000)]
ShortText = Annotated[str, Meta(max_length=4000)]
Name = Annotated[str, Meta(min_length=1, max_length=120)]
Phone = Annotated[str, Meta(max_length=40, pattern=r"^[0-9+\- ]*$")]
IdNumber = Annotated[str, Meta(max_length=40, pattern=r"^[0-9A-Za-z]*$")]
Channel = Literal["walk_in", "phone", "hotline_12345", "police_110", "grid", "online", "photo_report", "opinion", "transfer"]
Risk = Literal["high", "medium", "low"]
PartyRole = Literal["applicant", "respondent", "third_party"]
Mode = Literal["in_person", "video"]


def check_amount(amount: Decimal | None, most: Decimal = Decimal("999999999999")) -> None:
    """A sum of money from 0 to ``most``, for a struct's ``__post_init__`` (plugins' too).

    msgspec cannot bound a Decimal, so the range is checked here (a ValueError becomes a 422).
    NaN first: comparing it raises ``InvalidOperation``, which msgspec would pass on as a 500."""
    if amount is None:
        return
    amount = Decimal(str(amount))  # code may build a struct with an int (decoding gives a Decimal)
    if not (amount.is_finite() and Decimal(0) <= amount <= most):
        raise ValueError(f"amount must be a number from 0 to {most}")


class PartyIn(Struct, kw_only=True, forbid_unknown_fields=True):
    name: Name
    role: PartyRole = "applicant"
    kind: Literal["person", "company"] = "person"
    phone: Phone = ""
    id_number: IdNumber = ""
    address: Annotated[str, Meta(max_length=255)] = ""
    gender: Literal["", "male", "female"] = ""
    birth_year: Annotated[int, Meta(ge=1900, le=2100)] | None = None
    is_representative: bool = False
    represented_count: Annotated[int, Meta(ge=1, le=100000)] = 1
    prefers_locale: Literal["zh_CN", "en"] = "zh_CN"
    # Under 18 (also derived from the ID number's birth date): the case becomes sensitive.
    is_minor: bool = False


class CaseIn(Struct, kw_only=True, forbid_unknown_fields=True):
    """A new case from any channel."""

    channel: Channel
    dispute_type: Annotated[str, Meta(min_length=1, max_length=40)]
    description: NonEmpty
    parties: Annotated[list[PartyIn], Meta(min_length=1, max_length=2000)]
    title: Annotated[str, Meta(max_length=200)] = ""
    amount: Decimal | None = None
    place_id: int | None = None
    risk_level: Risk = "low"
    preferred_mediator_id: int | None = None
    preferred_time: Annotated[str, Meta(max_length=100)] = ""
    preferred_mode: Literal["", "in_person", "video"] = ""
    preferred_place: Annotated[str, Meta(max_length=200)] = ""
    external_ref: Annotated[str, Meta(max_length=100)] = ""
    # Window intake registers in one go: accept at once, with the notice of rights recorded.
    accept_now: bool = False
    rights_notified: bool = False
    consent: bool = False

    def __post_init__(self) -> None:
        check_amount(self.amount)


class ActionData(Struct, kw_only=True, forbid_unknown_fields=True):
    """Every action may carry the version the client saw (a stale one gets 409) and a note."""

    version: int | None = None
    note: ShortText = ""


class NoData(ActionData, kw_only=True):
    pass


class AcceptData(ActionData, kw_only=True):
    rights_notified: bool = False
    consent: bool = False
    risk_level: Risk | None = None
    dispute_type: str | None = None


class ReasonData(ActionData, kw_only=True):
    reason: NonEmpty


class DispatchData(ActionData, kw_only=True):
    mediator_id: int | None = None
    assignee_id: int | None = None
    organisation_id: int | None = None
    to_pool: bool = False
    # Let the dispatch rules (type → body, place → committee) choose.
    by_rules: bool = False


class EscalateData(ActionData, kw_only=True):
    reason: NonEmpty


class ReferData(ActionData, kw_only=True):
    plugin: Annotated[str, Meta(min_length=1, max_length=60)]
    reason: NonEmpty


class ResumeData(ActionData, kw_only=True):
    result: ShortText = ""


class Term(Struct, kw_only=True, forbid_unknown_fields=True):
    obligor: Annotated[str, Meta(min_length=1, max_length=120)]
    obligee: Annotated[str, Meta(max_length=120)] = ""
    what: NonEmpty
    amount: Decimal | None = None
    how: ShortText = ""
    where: ShortText = ""
    due_date: date | None = None

    def __post_init__(self) -> None:
        check_amount(self.amount)


class DraftAgreementData(ActionData, kw_only=True):
    """A new revision of the written agreement's draft (each revision is kept)."""

    facts: NonEmpty
    matters: NonEmpty
    responsibilities: ShortText = ""
    terms: Annotated[list[Term], Meta(min_length=1, max_length=200)]
    performance: ShortText = ""


class FinaliseAgreementData(ActionData, kw_only=True):
    agreement_id: int


class AgreeData(ActionData, kw_only=True):
    """Written (``agreement_id``: final and fully signed) or oral (art. 28: the terms inline);
    the effect checks that one of the two is given."""

    agreement_id: int | None = None
    facts: ShortText = ""
    matters: ShortText = ""
    responsibilities: ShortText = ""
    terms: Annotated[list[Term], Meta(max_length=200)] = msgspec.field(default_factory=list)
    performance: ShortText = ""


class FailData(ActionData, kw_only=True):
    advice: Literal["arbitration", "litigation", "department", "other"]
    detail: ShortText = ""


class MergeData(ActionData, kw_only=True):
    into_case_id: int


class FirstContactData(ActionData, kw_only=True):
    method: Literal["phone", "visit", "online", "sms"] = "phone"
    result: ShortText = ""


class ScheduleSessionData(ActionData, kw_only=True):
    # With its UTC offset: a bare local time would be read in the server's own zone.
    scheduled_at: Annotated[datetime, Meta(tz=True)]
    place: Annotated[str, Meta(max_length=200)] = ""
    mode: Mode = "in_person"
    attendees: Annotated[list[Annotated[str, Meta(max_length=120)]], Meta(max_length=200)] = msgspec.field(default_factory=list)


class RecordSessionData(ActionData, kw_only=True):
    session_id: int
    record: NonEmpty
    attendees: list[Annotated[str, Meta(max_length=120)]] | None = None


class CancelSessionData(ActionData, kw_only=True):
    session_id: int
    reason: NonEmpty


class FollowUpData(ActionData, kw_only=True):
    method: Literal["phone", "visit", "online"] = "phone"
    result: ShortText = ""
    performed: bool | None = None
    rating: Annotated[int, Meta(ge=1, le=5)] | None = None
    comment: ShortText = ""


class MessageData(ActionData, kw_only=True):
    message: ShortText = ""


class ExtendData(ActionData, kw_only=True):
    days: Annotated[int, Meta(ge=1, le=60)] = 30
    both_parties_consent: bool = False


class AddPartyData(ActionData, kw_only=True):
    party: PartyIn


class SetRiskData(ActionData, kw_only=True):
    risk_level: Risk
    reason: ShortText = ""


class OwnData(ActionData, kw_only=True):
    leader_id: int | None = None


class UnitData(ActionData, kw_only=True):
    organisation_id: int


class LinkData(ActionData, kw_only=True):
    other_case_id: int


class NoteData(ActionData, kw_only=True):
    text: NonEmpty


class DeclareConflictData(ActionData, kw_only=True):
    reason: NonEmpty
