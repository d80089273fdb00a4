"""Keyed digests: phones, codes and tokens are stored only as these."""

from __future__ import annotations

import hashlib
import hmac
import re

from core.settings import get_settings

MOBILE = re.compile(r"^1[3-9]\d{9}$")


def normalise_phone(phone: str) -> str:
    digits = re.sub(r"[\s\-()]", "", phone or "")
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            digits = digits[len(prefix):]
    return digits


def is_mobile(phone: str) -> bool:
    return bool(MOBILE.fullmatch(normalise_phone(phone)))


def keyed(kind: str, value: str) -> str:
    key = get_settings().secret_key.encode()
    return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def phone_digest(phone: str) -> str:
    return keyed("phone", normalise_phone(phone))


def token_digest(token: str) -> str:
    # Tokens are long and random, so a plain hash is enough (as for staff sessions).
    return hashlib.sha256(token.encode()).hexdigest()
