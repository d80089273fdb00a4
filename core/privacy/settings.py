"""Knobs of the privacy area, read from ``JIEFEN_*``."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class PrivacySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JIEFEN_", extra="ignore")

    retention_days: int = Field(
        default=1095, gt=0,
        description="Days after a case is closed (or rejected, withdrawn) before `jiefen retention run` anonymises it.",
    )
    retention_days_by_town: dict[str, int] = Field(
        default_factory=dict,
        description='A town\'s own period, by organisation id, e.g. {"12": 1825}; the deepest matching organisation wins.',
    )
    retention_nightly: bool = Field(default=False, description="Run the retention policy every night at 02:30 (local time).")


@lru_cache(maxsize=1)
def privacy_settings() -> PrivacySettings:
    return PrivacySettings()
