"""Knobs of the agreements area, read from ``JIEFEN_*`` (the base URL and secret are core's)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.settings import get_settings


class DocumentSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JIEFEN_", extra="ignore")

    tsa_url: str = Field(default="", description="RFC 3161 timestamp authority; empty: no timestamp.")
    keys_dir: Path | None = Field(default=None, description="Signing keys; default <data_dir>/keys.")
    signing_key_passphrase: SecretStr | None = Field(default=None, description="Passphrase of the committees' private keys.")
    sign_link_minutes: int = Field(default=30, gt=0, le=24 * 60, description="Lifetime of a party's signing link.")
    verify_rate_limit_per_minute: int = Field(default=30, gt=0, description="Public verifications per client per minute.")

    @property
    def keys_path(self) -> Path:
        return self.keys_dir or get_settings().data_dir / "keys"


@lru_cache(maxsize=1)
def document_settings() -> DocumentSettings:
    return DocumentSettings()


def storage_root() -> Path:
    return get_settings().data_dir / "agreements"
