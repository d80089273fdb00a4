"""An online application (网上申请): check the applicant's code, register the case (channel
``online``), attach the photos, and hand back the case number and a private tracking link."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta, Struct

from core.cases import schemas as s
from core.cases.evidence import add_evidence, sniff
from core.cases.service import create_case
from core.cases.tables import Party
from core.errors import NotFound, TooLarge, UnsupportedMedia, ValidationFailed
from core.parties import otp, roster, tracking
from core.parties.digests import normalise_phone, phone_digest
from core.parties.settings import party_settings
from core.roster.tables import Mediator
from core.settings import get_settings

PHOTO_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp", "image/heic"}


class Person(Struct, kw_only=True, forbid_unknown_fields=True):
    name: Annotated[str, Meta(min_length=1, max_length=120)]
    phone: Annotated[str, Meta(min_length=5, max_length=40, pattern=r"^[0-9+\- ]*$")]
    kind: Literal["person", "company"] = "person"


class ApplicationIn(Struct, kw_only=True, forbid_unknown_fields=True):
    """What the application page (and a mini-program) sends."""

    centre_id: int
    dispute_type: Annotated[str, Meta(min_length=1, max_length=40)]
    description: Annotated[str, Meta(min_length=5, max_length=4000)]
    applicant: Person
    respondent: Person
    code: Annotated[str, Meta(max_length=10)]
    agree_privacy: bool
    # None: let the centre assign (由中心指派).
    mediator_id: int | None = None
    place_id: int | None = None
    preferred_time: Annotated[str, Meta(max_length=100)] = ""
    preferred_mode: Literal["", "in_person", "video"] = ""
    preferred_place: Annotated[str, Meta(max_length=200)] = ""
    amount: Annotated[str, Meta(max_length=20, pattern=r"^(\d{1,12}(\.\d{1,2})?)?$")] = ""


def check_photos(photos: list[tuple[str, bytes]]) -> None:
    """Before anything is written: count, size and kind (sniffed from the bytes)."""
    if len(photos) > party_settings().max_photos:
        raise ValidationFailed("At most {n} photos.", n=party_settings().max_photos)
    limit = get_settings().max_upload_bytes
    for _name, content in photos:
        if len(content) > limit:
            raise TooLarge(limit=limit)
        if sniff(content) not in PHOTO_TYPES:
            raise UnsupportedMedia()


async def _check_choices(data: ApplicationIn) -> dict[str, Any]:
    if not data.agree_privacy:
        raise ValidationFailed("Please agree to how your information is used.", errors=[{"field": "agree_privacy", "message": "required"}])
    centre = await roster.centre(data.centre_id)
    if centre is None:
        raise NotFound("Unknown organisation.")
    if data.mediator_id is not None:
        row = await Mediator.select(Mediator.active, Mediator.organisation.path.as_alias("path")).where(
            Mediator.id == data.mediator_id
        ).first()
        if row is None or not row["active"] or not row["path"].startswith(centre["path"]):
            raise ValidationFailed("The mediator is not on this centre's roster.", errors=[{"field": "mediator_id", "message": "unknown"}])
    return centre


def case_in(data: ApplicationIn) -> s.CaseIn:
    from decimal import Decimal

    parties = [
        s.PartyIn(name=data.applicant.name.strip(), role="applicant", kind=data.applicant.kind, phone=normalise_phone(data.applicant.phone)),
        s.PartyIn(name=data.respondent.name.strip(), role="respondent", kind=data.respondent.kind, phone=normalise_phone(data.respondent.phone)),
    ]
    return s.CaseIn(
        channel="online", dispute_type=data.dispute_type, description=data.description.strip(), parties=parties,
        amount=Decimal(data.amount) if data.amount else None, place_id=data.place_id,
        preferred_mediator_id=data.mediator_id, preferred_time=data.preferred_time.strip(),
        preferred_mode=data.preferred_mode, preferred_place=data.preferred_place.strip(),
    )


async def submit(
    data: ApplicationIn, *, ip: str = "", idempotency_key: str = "", photos: list[tuple[str, bytes]] | None = None,
) -> dict[str, Any]:
    """Register the application; a retry with the same Idempotency-Key and code returns the
    same case (with a fresh tracking link: the first answer never arrived)."""
    photos = photos or []
    check_photos(photos)
    centre = await _check_choices(data)
    key = idempotency_key.strip()[:120]
    used_for = hashlib.sha256(key.encode()).hexdigest() if key else ""
    await otp.verify(data.applicant.phone, "apply", data.code, ip=ip, used_for=used_for)
    actor = await _applicant_actor(centre)
    created = await create_case(
        case_in(data), actor, org_id=centre["id"],
        idempotency=(f"party:{phone_digest(data.applicant.phone)[:40]}", key) if key else None,
    )
    applicant = await Party.select(Party.id).where((Party.case == created["id"]) & (Party.role == "applicant")).order_by(Party.id).first()
    replayed = bool(created.get("replayed"))
    token = await tracking.new_link(created["id"], applicant["id"], replace=replayed)
    party_actor = await tracking.party_actor(created["id"])
    if not replayed:
        for filename, content in photos:
            await add_evidence(created["id"], party_actor, filename, content, "当事人申请时上传")
    link = await tracking.find_link(token)
    session = await tracking.start_session(link, ip)
    return {
        "case_id": created["id"], "number": created["number"], "state": created["state"], "replayed": replayed,
        "tracking_token": token, "tracking_url": tracking.tracking_url(token), **session,
    }


async def _applicant_actor(centre: dict[str, Any]) -> Any:
    from core.actors import Actor

    return Actor(kind="party", roles=frozenset({"party"}), org_id=centre["id"], org_path=centre["path"], name="party")


def parse(raw: dict[str, Any]) -> ApplicationIn:
    try:
        return msgspec.convert(raw, ApplicationIn, strict=False)
    except msgspec.ValidationError as exc:
        raise ValidationFailed(errors=[{"message": str(exc)}]) from exc
