"""The fields a caller may send to create or change a job, before validation."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any


@dataclass(frozen=True)
class JobInput:
    """job_create's parameters. Times are ISO 8601 strings; naive ones are read in `timezone`."""

    title: str
    instructions: str
    job_type: str | None = None
    schedule: str | None = None
    run_at: str | None = None
    cron: str | None = None
    interval_seconds: int | None = None
    interval_days: int | None = None
    timezone: str | None = None
    start_at: str | None = None
    end_at: str | None = None
    max_runs: int | None = None
    end_condition: str | None = None
    action: str = "agent"
    depends_on: list[str] = field(default_factory=list)
    chat_id: str | None = None
    webhook_url: str | None = None
    webhook_secret: str | None = None
    idempotency_key: str | None = None
    max_attempts: int | None = None
    timeout_seconds: int | None = None
    misfire_grace_seconds: int | None = None
    # The words behind explicit fields an LLM read from them (kept for the person to see).
    schedule_text: str | None = None
    max_cost_usd: float | None = None  # spending cap over all runs; exceeded -> BLOCKED


@dataclass(frozen=True)
class JobPatch:
    """job_update's parameters: only the fields in `sent` are changed."""

    values: dict[str, Any]

    SCHEDULE_FIELDS = frozenset(
        {"job_type", "schedule", "run_at", "cron", "interval_seconds", "interval_days", "timezone",
         "start_at", "end_at", "max_runs"}
    )

    @property
    def touches_schedule(self) -> bool:
        return bool(self.SCHEDULE_FIELDS & self.values.keys())


INPUT_FIELDS = frozenset(f.name for f in fields(JobInput))
