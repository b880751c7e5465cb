"""What the tools return: public views of jobs and runs (never the webhook secret or the embedding)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from scheduler.schedules.job_schedule import next_fires_of, summary_of
from scheduler.schedules.timezones import local_iso
from store.models import Job, JobRun


def _flatten_nullable(schema: dict[str, Any]) -> None:
    """Rewrite `anyOf: [{type: T}, {type: null}]` as `type: [T, null]`.

    Same meaning, but clients validating structured results (the SDK's client
    does, on every call) check a type list far faster than an anyOf.
    """
    for prop in schema.get("properties", {}).values():
        options = prop.get("anyOf")
        if options and all(set(o) == {"type"} for o in options):
            prop.pop("anyOf")
            prop["type"] = [o["type"] for o in options]


class PublicModel(BaseModel):
    model_config = ConfigDict(json_schema_extra=_flatten_nullable)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value is not None else None


class JobView(PublicModel):
    id: str
    title: str
    instructions: str
    job_type: str
    action: str
    status: str
    schedule_summary: str = Field(description="The schedule in one line, in the job's time zone")
    schedule_text: str | None = Field(None, description="The plain-words schedule as given, if any")
    timezone: str
    next_run_at: str | None = Field(None, description="Next fire, UTC")
    next_run_local: str | None = Field(None, description="Next fire in the job's time zone")
    run_at: str | None = None
    cron: str | None = None
    interval_seconds: int | None = None
    interval_days: int | None = None
    start_at: str | None = None
    end_at: str | None = None
    max_runs: int | None = None
    end_condition: str | None = None
    misfire_grace_seconds: int
    depends_on: list[str]
    chat_id: str | None = None
    webhook_url: str | None = None
    last_run_at: str | None = None
    run_count: int
    attempt: int
    max_attempts: int
    timeout_seconds: int
    max_cost_usd: float | None = Field(None, description="Spending cap over all runs, USD")
    last_error: str | None = None
    paused_reason: str | None = None
    state: dict[str, Any]
    guidance: list[str]
    idempotency_key: str | None = None
    version: int
    created_at: str
    updated_at: str

    @classmethod
    def of(cls, job: Job) -> JobView:
        return cls(
            id=job.id, title=job.title, instructions=job.instructions, job_type=job.job_type, action=job.action,
            status=job.status, schedule_summary=summary_of(job), schedule_text=job.schedule_text,
            timezone=job.timezone, next_run_at=_iso(job.next_run_at),
            next_run_local=local_iso(job.next_run_at, job.timezone), run_at=_iso(job.run_at), cron=job.cron,
            interval_seconds=job.interval_seconds, interval_days=job.interval_days, start_at=_iso(job.start_at),
            end_at=_iso(job.end_at), max_runs=job.max_runs, end_condition=job.end_condition,
            misfire_grace_seconds=job.misfire_grace_seconds, depends_on=list(job.depends_on),
            chat_id=job.chat_id, webhook_url=job.webhook_url, last_run_at=_iso(job.last_run_at),
            run_count=job.run_count, attempt=job.attempt, max_attempts=job.max_attempts,
            timeout_seconds=job.timeout_seconds, max_cost_usd=job.max_cost_usd, last_error=job.last_error,
            paused_reason=job.paused_reason,
            state=dict(job.state), guidance=list(job.guidance), idempotency_key=job.idempotency_key,
            version=job.version, created_at=_iso(job.created_at) or "", updated_at=_iso(job.updated_at) or "",
        )


class JobBrief(PublicModel):
    """A job as a search hit: enough to recognise it; job_retrieval_by_id gives the rest."""

    id: str
    title: str
    status: str
    job_type: str
    action: str
    schedule_summary: str
    next_run_at: str | None = None
    next_run_local: str | None = None
    chat_id: str | None = None
    last_run_at: str | None = None

    @classmethod
    def of(cls, job: Job) -> JobBrief:
        return cls(id=job.id, title=job.title, status=job.status, job_type=job.job_type, action=job.action,
                   schedule_summary=summary_of(job), next_run_at=_iso(job.next_run_at),
                   next_run_local=local_iso(job.next_run_at, job.timezone), chat_id=job.chat_id,
                   last_run_at=_iso(job.last_run_at))


class FireTime(PublicModel):
    utc: str
    local: str


class DeliveryView(PublicModel):
    kind: str = Field(description="inbox or webhook")
    status: str = Field(description="inbox: ready; webhook: pending, sending, delivered or failed")
    attempts: int
    last_error: str | None = None
    delivered_at: str | None = None

    @classmethod
    def of(cls, row: Any) -> DeliveryView:
        return cls(kind=row.kind, status=row.status, attempts=row.attempts, last_error=row.last_error,
                   delivered_at=_iso(row.delivered_at))


class RunView(PublicModel):
    id: str
    job_id: str
    attempt: int
    scheduled_for: str | None
    started_at: str | None
    finished_at: str | None
    outcome: str
    verdict: str | None
    summary: str | None
    output: str | None
    error: str | None
    worker: str | None
    tokens_in: int
    tokens_out: int
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cost_usd: float
    deliveries: list[DeliveryView] = Field(default_factory=list,
                                           description="Where this run's message went, and whether it arrived")

    @classmethod
    def of(cls, run: JobRun, deliveries: list[Any] | None = None) -> RunView:
        return cls(
            deliveries=[DeliveryView.of(d) for d in deliveries or []],
            id=run.id, job_id=run.job_id, attempt=run.attempt, scheduled_for=_iso(run.scheduled_for),
            started_at=_iso(run.started_at), finished_at=_iso(run.finished_at), outcome=run.outcome,
            verdict=run.verdict, summary=run.summary, output=run.output, error=run.error, worker=run.worker,
            tokens_in=run.tokens_in, tokens_out=run.tokens_out, cache_read_tokens=run.cache_read_tokens,
            cache_write_tokens=run.cache_write_tokens, cost_usd=run.cost_usd,
        )


class JobResult(PublicModel):
    job: JobView


class CreateResult(PublicModel):
    job: JobView
    created: bool = Field(description="False when the idempotency key matched an existing job")
    next_fires: list[FireTime]


class JobWithRuns(PublicModel):
    job: JobView
    runs: list[RunView]
    total_cost_usd: float = Field(0.0, description="What all the job's runs cost together, USD")


class JobListResult(PublicModel):
    jobs: list[JobView]
    next_cursor: str | None = Field(None, description="Pass as cursor to get the next page")


class RunListResult(PublicModel):
    job_id: str
    runs: list[RunView]
    total_cost_usd: float = Field(0.0, description="What all the job's runs cost together, USD")


def fires_of(job: Job, now: datetime, count: int = 3) -> list[FireTime]:
    return [
        FireTime(utc=_iso(f) or "", local=local_iso(f, job.timezone) or "") for f in next_fires_of(job, now, count)
    ]
