"""Short-lived signing links: one agreement, one party, one method, HMAC'd with the secret key."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass

from core.agreements.settings import document_settings
from core.errors import NotFound
from core.settings import get_settings

LINK_METHODS = ("kiosk", "pad")


@dataclass(frozen=True)
class SignLink:
    agreement_id: int
    party_id: int
    method: str
    expires: int


def _mac(body: str) -> str:
    key = get_settings().secret_key.encode()
    digest = hmac.new(key, b"jiefen-sign-link-v1|" + body.encode(), hashlib.sha256).digest()[:18]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def make(agreement_id: int, party_id: int, method: str, minutes: int | None = None) -> tuple[str, int]:
    if method not in LINK_METHODS:
        raise ValueError(method)
    minutes = min(minutes or document_settings().sign_link_minutes, document_settings().sign_link_minutes)
    expires = int(time.time()) + minutes * 60
    body = f"{agreement_id}.{party_id}.{method}.{expires}"
    return f"{body}.{_mac(body)}", expires


def read(token: str) -> SignLink:
    """The link's content; a forged, altered or expired token is simply not found."""
    body, _, mac = (token or "").rpartition(".")
    parts = body.split(".")
    if len(parts) != 4 or not hmac.compare_digest(mac, _mac(body)):
        raise NotFound()
    agreement_id, party_id, method, expires = parts
    if method not in LINK_METHODS or not (agreement_id.isdigit() and party_id.isdigit() and expires.isdigit()):
        raise NotFound()
    if int(expires) < time.time():
        raise NotFound("This signing link has expired. Ask the mediator for a new one.")
    return SignLink(int(agreement_id), int(party_id), method, int(expires))
