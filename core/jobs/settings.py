"""Knobs of the job system, read from ``JIEFEN_JOBS_*`` (the Redis address is ``JIEFEN_REDIS_URL``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class JobSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JIEFEN_JOBS_", extra="ignore")

    queue: str = Field(default="jiefen:queue", description="arq queue name (one per deployment).")
    timeout: float = Field(default=300, gt=0, description="Longest a job may run (s); a killed worker's job is retried this + 10 s later.")
    max_tries: int = Field(default=5, ge=1, description="Tries before a job is kept as failed.")
    relay_interval: float = Field(default=2.0, gt=0, description="Seconds between relay passes when nothing wakes it.")
    relay_batch: int = Field(default=200, gt=0, description="Outbox rows moved to Redis per pass.")
    # A row marked enqueued but not done after this long is handed to arq again (same job id),
    # in case Redis lost it (restart without persistence, or the relay died after claiming).
    resend_after: float = Field(default=900, gt=0, description="Seconds before an unfinished enqueued row is re-sent.")
    stale_claim: float = Field(default=300, gt=0, description="In-process runner: seconds before a running job of a dead runner is taken again.")
    # None: the app relays only on SQLite. On PostgreSQL the workers relay, woken by the NOTIFY
    # that every outbox insert sends, so a request does not pay for the hand-over to Redis.
    app_relay: bool | None = Field(default=None, description="Relay the outbox to Redis in app processes too (default: only on SQLite).")
    cron: bool = Field(default=True, description="Run the periodic jobs (ladder scan, reports).")


@lru_cache(maxsize=1)
def job_settings() -> JobSettings:
    return JobSettings()
