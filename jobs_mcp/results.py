"""What the tools return: public views of jobs and runs (never the webhook secret or the embedding)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from scheduler.schedules.job_schedule import next_fires_of, summary_of
from scheduler.schedules.schedule_math import describe
from scheduler.schedules.spec import ScheduleSpec
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


V = TypeVar("V", bound=BaseModel)


def _view(view: type[V], row: Any, **computed: Any) -> V:
    """`view` filled from the row's columns of the same names (times as ISO text), plus computed fields.

    A view declares what is public: a column it does not name (the webhook secret, the embedding)
    never reaches an answer.
    """
    values = {name: _public(getattr(row, name)) for name in view.model_fields
              if name not in computed and hasattr(row, name)}
    return view(**values, **computed)


def _public(value: Any) -> Any:
    if isinstance(value, datetime):
        return _iso(value)
    if isinstance(value, list | dict):
        return value.copy()
    return value


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
    def of(cls, job: Job, spec: ScheduleSpec | None = None) -> JobView:
        """The public view; `spec` is the job's schedule when the caller has it already."""
        return _view(cls, job, schedule_summary=describe(spec) if spec else summary_of(job),
                     next_run_local=local_iso(job.next_run_at, job.timezone))


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
        return _view(cls, job, schedule_summary=summary_of(job), next_run_local=local_iso(job.next_run_at,
                                                                                          job.timezone))


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
        return _view(cls, row)


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
        return _view(cls, run, deliveries=[DeliveryView.of(d) for d in deliveries or []])


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


def fires_of(job: Job, now: datetime, count: int = 3, spec: ScheduleSpec | None = None) -> list[FireTime]:
    return [
        FireTime(utc=_iso(f) or "", local=local_iso(f, job.timezone) or "")
        for f in next_fires_of(job, now, count, spec)
    ]
