"""Knobs of the party pages, read from ``JIEFEN_PARTIES_*``."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class PartySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JIEFEN_PARTIES_", extra="ignore")

    otp_ttl_minutes: int = Field(default=10, gt=0, description="A one-time code expires after this long.")
    otp_resend_seconds: int = Field(default=60, ge=0, description="Least time between two codes to one phone.")
    otp_per_phone_per_hour: int = Field(default=5, gt=0, description="Codes one phone may receive in an hour.")
    otp_per_ip_per_hour: int = Field(default=20, gt=0, description="Codes one client address may ask for in an hour.")
    otp_max_attempts: int = Field(default=5, gt=0, description="Wrong entries before a code is dead.")
    otp_failures_per_phone_per_hour: int = Field(default=10, gt=0, description="Wrong entries for one phone in an hour before it is locked.")
    session_minutes: int = Field(default=30, gt=0, description="A party session lasts this long after a code.")
    max_photos: int = Field(default=6, ge=0, description="Evidence photos per application.")


@lru_cache(maxsize=1)
def party_settings() -> PartySettings:
    return PartySettings()
