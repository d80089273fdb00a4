"""Settings: one typed object read once from ``JIEFEN_*`` environment variables."""

from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JIEFEN_", extra="ignore")

    database_url: str = Field(
        default="",
        description="sqlite:///path/to.db or postgresql://user@host:port/db. "
        "Empty means SQLite at <data_dir>/jiefen.db (the embedded default).",
    )
    redis_url: str = Field(
        default="",
        description="redis://host:port/db. Empty means jobs run in-process (no Redis needed).",
    )
    secret_key: str = Field(
        default="dev-insecure-secret-change-me",
        min_length=16,
        description="Signs tracking links and CSRF tokens. Set a long random value in production.",
    )
    time_zone: str = Field(default="Asia/Shanghai", description="Local time zone for display and day boundaries.")
    case_number_format: str = Field(
        default="{prefix}调〔{year}〕{seq:04d}号",
        description="Format of case numbers; fields: prefix (the instance's short name), year, seq.",
    )
    case_number_prefix: str = Field(default="解纷", description="Short name used in case numbers, e.g. 大朗.")
    data_dir: Path = Field(default=PROJECT_ROOT / "var", description="Where the SQLite file, evidence and documents live.")
    max_upload_bytes: int = Field(default=10 * 1024 * 1024, gt=0, description="Largest evidence file accepted.")
    default_locale: str = Field(default="zh_CN", description="UI and error language unless the request asks otherwise.")
    intake_rate_limit_per_minute: int = Field(default=30, gt=0, description="Public intake requests per client per minute.")
    duplicate_window_days: int = Field(default=180, gt=0, description="How far back a likely duplicate is looked for.")
    session_idle_minutes: int = Field(default=120, gt=0, description="Staff sessions end after this long idle.")
    escalation_min_attempts: dict[str, int] = Field(
        default_factory=lambda: {"village": 3, "town": 2},
        description='"三二一": sessions a level must hold before it may escalate, e.g. {"village":3,"town":2}.',
    )
    plugins: list[str] | None = Field(
        default=None,
        description="Comma-separated plugins allowed in this deployment; unset means every installed one.",
    )
    plugins_dir: Path | None = Field(default=None, description="A directory of a town's local plugins.")
    trace_plugins: bool = Field(default=False, description="Log every hook call.")
    base_url: str = Field(default="http://127.0.0.1:8000", description="Public address, for links in PDFs and messages.")

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        if value and not value.startswith(("sqlite:///", "postgresql://", "postgres://")):
            raise ValueError("must start with sqlite:/// or postgresql://")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str) -> str:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis:// or rediss://")
        return value

    @field_validator("case_number_format")
    @classmethod
    def _format_has_seq(cls, value: str) -> str:
        try:
            value.format(prefix="x", year=2026, seq=1)
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"bad format: {exc}") from exc
        if "{seq" not in value:
            raise ValueError("must contain {seq} so numbers are unique")
        return value

    @field_validator("plugins", mode="before")
    @classmethod
    def _split_plugins(cls, value: object) -> object:
        if isinstance(value, str):
            return [name.strip() for name in value.split(",") if name.strip()]
        return value

    @property
    def is_sqlite(self) -> bool:
        return not self.database_url.startswith(("postgresql://", "postgres://"))

    @property
    def sqlite_path(self) -> Path:
        if self.database_url.startswith("sqlite:///"):
            return Path(self.database_url.removeprefix("sqlite:///"))
        return self.data_dir / "jiefen.db"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


class SettingsError(SystemExit):
    """A bad setting stops the process with a message naming the variable."""


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        lines = ["Jiefen cannot start: bad settings"]
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"])
            lines.append(f"  JIEFEN_{field.upper()}: {err['msg']}")
        raise SettingsError("\n".join(lines)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()


if __name__ == "__main__":  # pragma: no cover
    print(get_settings().model_dump_json(indent=2), file=sys.stdout)
