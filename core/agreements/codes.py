"""Verification codes: 12 characters of Crockford base32 (60 random bits), shown as XXXX-XXXX-XXXX."""

from __future__ import annotations

import re
import secrets

from core.settings import get_settings

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 12
_AMBIGUOUS = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalise(text: str) -> str | None:
    """What a person typed (any case, dashes, spaces, O for 0) → the stored code, or None."""
    code = re.sub(r"[\s\-]", "", (text or "").upper()).translate(_AMBIGUOUS)
    if len(code) != LENGTH or any(c not in ALPHABET for c in code):
        return None
    return code


def display(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def verify_url(code: str) -> str:
    return f"{get_settings().base_url.rstrip('/')}/verify/{code}"
