"""What the tools return: brief views by default, every field with `detail: "full"`; never the webhook
secret, a channel's secrets (channels are shown masked) or the embedding.

One model per answer serves both forms: what every brief view carries is required, the rest is
optional, and an answer leaves out each field that is unset, empty where that is the default, or at
its default (`lean`). So one output schema holds for both forms, and the text content is the
structured content as compact JSON. Times are ISO 8601 with seconds; `next_run_local`, run times and
fire times are in the job's zone with their offset (the same instants as UTC, readable as said).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, ClassVar, Literal, TypeVar

from pydantic import BaseModel, Field

from scheduler.channel_urls import mask
from scheduler.schedules.job_schedule import next_fires_of, summary_of
from scheduler.schedules.schedule_math import describe
from scheduler.schedules.spec import ScheduleSpec
from scheduler.schedules.timezones import local_iso
from store.enums import JobStatus
from store.models import Job, JobRun

# The levels of `detail`. A tool that grows a richer form (run traces, say) adds its level here.
Detail = Literal["brief", "full"]
# A brief view cuts free texts (instructions, run summaries, errors) to this many characters.
BRIEF_TEXT_MAX = 500


class PublicModel(BaseModel):
    """An answer. Send it with `lean`: no nulls, no defaults."""


def lean(answer: BaseModel) -> dict[str, Any]:
    """The answer as JSON values, without nulls and without fields at their defaults."""
    return answer.model_dump(mode="json", exclude_none=True, exclude_defaults=True)


def compact_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def clip(text: str | None, limit: int = BRIEF_TEXT_MAX) -> str | None:
    """`text` cut to `limit` characters, the cut marked with an ellipsis."""
    if text is None or len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


def iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value is not None else None


V = TypeVar("V", bound=BaseModel)


def _view(view: type[V], row: Any, names: set[str] | None = None, **computed: Any) -> V:
    """`view` filled from the row's columns of the same names (those in `names`, or all), plus computed fields.

    A view declares what is public: a column it does not name (the webhook secret, the embedding)
    never reaches an answer.
    """
    wanted = view.model_fields.keys() if names is None else names
    values = {name: _public(getattr(row, name)) for name in wanted if name not in computed and hasattr(row, name)}
    return view(**values, **computed)


def _public(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, list | dict):
        return value.copy()
    return value


def _default(name: str) -> Any:
    """The job column's default: an answer leaves a field at it out."""
    return Job.model_fields[name].get_default(call_default_factory=True)


class JobView(PublicModel):
    """A job. Brief: id, title, status, schedule_summary, next_run_local (and paused_reason, last_error or
    archived_from where the status calls for it); `detail: "full"`: every field not at its default."""

    id: str
    title: str
    status: str
    archived_from: str | None = Field(None, description="ARCHIVED: the status it ended with")
    schedule_summary: str = Field(description="The schedule in one line, in the job's time zone")
    next_run_local: str | None = Field(None, description="Next fire in the job's time zone, with offset")
    paused_reason: str | None = None
    last_error: str | None = None
    job_type: str | None = None
    instructions: str | None = None
    end_condition: str | None = None
    action: str = _default("action")
    schedule_text: str | None = Field(None, description="The plain-words schedule as given")
    timezone: str | None = None
    next_run_at: str | None = Field(None, description="Next fire, UTC")
    run_at: str | None = None
    cron: str | None = None
    interval_seconds: int | None = None
    interval_days: int | None = None
    start_at: str | None = None
    end_at: str | None = None
    max_runs: int | None = None
    misfire_grace_seconds: int = _default("misfire_grace_seconds")
    depends_on: list[str] = Field(default_factory=list)
    chat_id: str | None = None
    webhook_url: str | None = None
    channels: list[str] = Field(default_factory=list, description="Masked")
    urgent: bool = False
    last_run_at: str | None = None
    run_count: int = _default("run_count")
    attempt: int = _default("attempt")
    max_attempts: int = _default("max_attempts")
    timeout_seconds: int = _default("timeout_seconds")
    max_cost_usd: float | None = Field(None, description="Spending cap over all runs, USD")
    model: str | None = None
    max_turns: int | None = None
    system_prompt: str | None = None
    agent_tools: list[str] = Field(default_factory=list)
    state: dict[str, Any] = Field(default_factory=dict)
    guidance: list[str] = Field(default_factory=list)
    idempotency_key: str | None = None
    version: int = _default("version")
    created_at: str | None = None
    updated_at: str | None = None

    BRIEF: ClassVar[frozenset[str]] = frozenset({"id", "title", "status", "next_run_local"})
    # job_retrieval_by_id's brief adds what the job is.
    ABOUT: ClassVar[frozenset[str]] = frozenset({"job_type", "instructions", "end_condition", "chat_id", "last_run_at",
                                       "run_count"})
    # What the output schema types one by one: the fields every answer carries. The others are named in
    # the schema's description only (jobs_mcp/schemas.py `folded`): each typed field costs every client
    # about 0.17 ms per session in its check of the schema (docs/performance.md, issue 16 phase 4).
    TYPED: ClassVar[frozenset[str]] = frozenset({"id", "title", "status", "schedule_summary"})

    @classmethod
    def of(cls, job: Job, detail: Detail = "brief", spec: ScheduleSpec | None = None,
           also: frozenset[str] = frozenset()) -> JobView:
        """The job's view; `also`: fields a brief view adds (what the call is about); `spec` is the job's
        schedule when the caller has it already."""
        summary = describe(spec) if spec else summary_of(job)
        local = local_iso(job.next_run_at, job.timezone)
        if detail == "full":
            return _view(cls, job, schedule_summary=summary, next_run_local=local,
                         channels=[mask(url) for url in job.channels or []])
        names = set(cls.BRIEF | also) - {"channels"}
        if job.status == JobStatus.PAUSED:
            names.add("paused_reason")
        if job.status in (JobStatus.FAILED, JobStatus.BLOCKED):
            names.add("last_error")
        if job.status == JobStatus.ARCHIVED:
            names.add("archived_from")
        shown = {"channels": [mask(url) for url in job.channels or []]} if "channels" in also else {}
        view = _view(cls, job, names, schedule_summary=summary, next_run_local=local, **shown)
        view.instructions, view.last_error = clip(view.instructions), clip(view.last_error)
        return view


class DeliveryView(PublicModel):
    kind: str = Field(description="inbox, webhook or channel")
    status: str = Field(description="inbox: ready; else pending, sending, delivered or failed")
    channel: str | None = Field(None, description="Masked")
    attempts: int = 0
    last_error: str | None = None
    next_attempt_at: str | None = None
    delivered_at: str | None = None

    @classmethod
    def of(cls, row: Any) -> DeliveryView:
        target = getattr(row, "target", None)
        pending = row.status == "pending"
        return _view(cls, row, channel=mask(target) if target else None,
                     next_attempt_at=iso(row.next_attempt_at) if pending else None)


class StepView(PublicModel):
    """One step of a run's trace: a model turn, a tool call, the judge's verdict, or a note."""

    step: str = Field(description="turn, tool, judge, tools, quota or limit")
    turn: int | None = None
    model: str | None = None
    stop: str | None = Field(None, description="Why the turn ended (tool_use, end_turn, max_tokens)")
    calls: list[str] = Field(default_factory=list, description="Tools the turn called")
    text: str | None = None
    tool: str | None = None
    arguments: str | None = Field(None, description="As JSON text, cut to 2,000 characters")
    ok: bool | None = None
    result: str | None = Field(None, description="Cut to 2,000 characters")
    error: str | None = None
    ms: int | None = Field(None, description="Duration of the call")
    tokens_in: int = 0
    tokens_out: int = 0
    judge_said: str | None = None
    applied: str | None = None
    reason: str | None = None
    notify: bool | None = None
    note: str | None = None

    @classmethod
    def of(cls, step: dict[str, Any]) -> StepView:
        values = {name: step[name] for name in cls.model_fields if name in step and step[name] is not None}
        if "input" in step:
            values["arguments"] = step["input"]
        return cls.model_validate(values)


class EventView(PublicModel):
    """A status change of the job."""

    at: str = Field(description="In the job's time zone, with offset")
    to_status: str
    from_status: str | None = None
    actor: str
    reason: str | None = None

    @classmethod
    def of(cls, event: Any, timezone: str) -> EventView:
        return cls(at=local_iso(event.at, timezone) or "", to_status=event.to_status, from_status=event.from_status,
                   actor=event.actor, reason=event.reason)


class RunView(PublicModel):
    """A run. Brief: when it finished, its outcome, verdict, summary and error; full: every field."""

    outcome: str
    finished_at: str | None = Field(None, description="In the job's time zone, with offset")
    attempt: int = 1
    verdict: str | None = None
    summary: str | None = None
    error: str | None = None
    id: str | None = None
    scheduled_for: str | None = None
    started_at: str | None = None
    output: str | None = None
    worker: str | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cost_usd: float = 0.0
    deliveries: list[DeliveryView] = Field(default_factory=list,
                                           description="Where this run's message went, and whether it arrived")
    steps: list[StepView] = Field(default_factory=list, description="Each model turn and tool call, in order")

    BRIEF: ClassVar[frozenset[str]] = frozenset({"outcome", "attempt", "verdict", "summary", "error"})
    TYPED: ClassVar[frozenset[str]] = frozenset({"outcome"})  # as JobView.TYPED: what every answer carries

    @classmethod
    def of(cls, run: JobRun, timezone: str, detail: Detail = "brief",
           deliveries: list[Any] | None = None) -> RunView:
        times = {name: local_iso(getattr(run, name), timezone) for name in ("scheduled_for", "started_at",
                                                                           "finished_at")}
        if detail == "full":
            return _view(cls, run, **times, deliveries=[DeliveryView.of(d) for d in deliveries or []],
                         steps=[StepView.of(step) for step in run.trace or [] if isinstance(step, dict)])
        view = _view(cls, run, set(cls.BRIEF), finished_at=times["finished_at"] or times["started_at"])
        view.summary, view.error = clip(view.summary), clip(view.error)
        return view


class JobResult(PublicModel):
    job: JobView


class DeleteResult(PublicModel):
    deleted: str = Field(description="The deleted job's id")


class ReadingView(PublicModel):
    """A language model's reading of schedule words, waiting for the person's yes."""

    schedule: str = Field(description="The words as given")
    summary: str = Field(description="What the model read, in one line")
    fires: list[str] = Field(description="The next fires it gives, in the zone with offset")
    job_type: str | None = None
    run_at: str | None = None
    cron: str | None = None
    interval_seconds: int | None = None
    interval_days: int | None = None


LLM_READ = "'llm' when a language model read the schedule words"
PENDING = "Set when nothing was stored because the schedule reading needs the person's yes (see note)"


class CreateResult(PublicModel):
    created: bool = Field(description="True: a new job is stored. False: the idempotency key matched an existing "
                                      "job (then `job` is it), or nothing was stored (then `note` says why)")
    job: JobView | None = None
    next_fires: list[str] = Field(default_factory=list,
                                  description="The coming fires in the job's time zone, with offset")
    interpreted_by: str | None = Field(None, description=LLM_READ)
    needs_confirmation: ReadingView | None = Field(None, description=PENDING)
    note: str | None = None


class UpdateResult(PublicModel):
    job: JobView | None = Field(None, description="The job as changed; absent when nothing was changed (see note)")
    interpreted_by: str | None = Field(None, description=LLM_READ)
    needs_confirmation: ReadingView | None = Field(None, description=PENDING)
    note: str | None = None


class JobWithRuns(PublicModel):
    job: JobView
    runs: list[RunView] = Field(description="Newest first")
    total_cost_usd: float = Field(0.0, description="What all the job's runs cost together, USD")


class JobListResult(PublicModel):
    jobs: list[JobView]
    next_cursor: str | None = Field(None, description="Pass as cursor to get the next page")


class RunListResult(PublicModel):
    job_id: str
    runs: list[RunView] = Field(description="Newest first")
    total_cost_usd: float = Field(0.0, description="What all the job's runs cost together, USD")
    events: list[EventView] = Field(default_factory=list, description="full: the job's status changes, oldest "
                                                                      "first, with actor and reason")


# The views whose output schema types only the fields every answer carries (see JobView.TYPED), and every
# field a brief answer may carry, which the schema's description names apart from the full answer's others.
TYPED_FIELDS: dict[str, frozenset[str]] = {"JobView": JobView.TYPED, "RunView": RunView.TYPED}
BRIEF_FIELDS: dict[str, frozenset[str]] = {
    "JobView": JobView.BRIEF | JobView.ABOUT | {"schedule_summary", "paused_reason", "last_error", "archived_from"},
    "RunView": RunView.BRIEF | {"finished_at"}}


def fires_of(job: Job, now: datetime, count: int = 3, spec: ScheduleSpec | None = None) -> list[str]:
    return [local_iso(f, job.timezone) or "" for f in next_fires_of(job, now, count, spec)]
