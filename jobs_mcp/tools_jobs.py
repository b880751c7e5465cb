"""The job tools (docs/design.md §9): thin wrappers that validate, call one service method and return a view."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context, MCPServer
from mcp_types import ToolAnnotations
from pydantic import Field

from jobs_mcp.results import (
    CreateResult,
    JobListResult,
    JobResult,
    JobView,
    JobWithRuns,
    RunListResult,
    RunView,
    fires_of,
)
from jobs_mcp.schedule_fallback import with_schedule_fallback
from jobs_mcp.state import AppState, app_state, caller, off_loop
from scheduler.jobs.job_input import JobInput, JobPatch
from scheduler.jobs.service import CreateOutcome
from store.costs import JobCost, job_costs
from store.enums import JobStatus, JobType
from store.errors import InvalidArgument
from store.models import Job

JobTypeName = Literal["ONE_OFF", "SCHEDULED", "RECURRING", "ONGOING"]
ActionName = Literal["agent", "notify"]

JobId = Annotated[str, Field(description="The job's id, e.g. 'job_1a2b3c4d5e6f'")]
Reason = Annotated[str | None, Field(description="Why; kept in the job's history")]
Title = Annotated[str, Field(description="Short name for the job (1-200 characters)")]
Instructions = Annotated[str, Field(description="What to do at each run, in plain words (or the reminder text)")]
JobTypeArg = Annotated[JobTypeName | None, Field(
    description="ONE_OFF (once), SCHEDULED (cron), RECURRING (fixed interval), ONGOING (interval until "
                "end_condition is met). Inferred from the schedule fields when left out.")]
Schedule = Annotated[str | None, Field(
    description="The schedule in plain words, e.g. 'every Monday at 9am', 'tomorrow at 17:00', 'in 90 minutes'")]
RunAt = Annotated[str | None, Field(
    description="ONE_OFF: when to run, ISO 8601; without an offset it is read in `timezone`. Default: now")]
Cron = Annotated[str | None, Field(description="SCHEDULED: a 5-field cron line read in `timezone`, e.g. '0 9 * * 1'")]
IntervalSeconds = Annotated[int | None, Field(description="RECURRING/ONGOING: seconds between fires (elapsed time)")]
IntervalDays = Annotated[int | None, Field(
    description="RECURRING/ONGOING: calendar days between fires, at the same local wall-clock time")]
TimeZone = Annotated[str | None, Field(
    description="IANA time zone for the schedule, e.g. 'Europe/Berlin'; default from JOBS_MCP_TIMEZONE")]
StartAt = Annotated[str | None, Field(description="No fire before this time (ISO 8601)")]
EndAt = Annotated[str | None, Field(description="No fire after this time (ISO 8601); the job then completes")]
MaxRuns = Annotated[int | None, Field(description="Complete the job after this many runs")]
EndCondition = Annotated[str | None, Field(description="ONGOING (required): when the goal counts as met")]
Action = Annotated[ActionName | None, Field(
    description="'agent' runs the instructions through the LLM; 'notify' delivers them as the message")]
DependsOn = Annotated[list[str] | None, Field(description="Job ids that must COMPLETE before this job runs")]
ChatId = Annotated[str | None, Field(description="The chat the results go back to")]
WebhookUrl = Annotated[str | None, Field(description="Also POST each result to this URL (signed)")]
WebhookSecret = Annotated[str | None, Field(description="HMAC secret for the webhook signature; never returned")]
IdempotencyKey = Annotated[str | None, Field(
    description="Repeat-safe creation: a second call with the same key returns the first job (created: false)")]
MaxAttempts = Annotated[int | None, Field(description="Attempts per fire before the job fails (1-20, default 3)")]
TimeoutSeconds = Annotated[int | None, Field(description="Time limit of one run in seconds (default 300)")]
MisfireGrace = Annotated[int | None, Field(
    description="A fire missed by more than this (server down) is recorded as missed, not run (default 3600)")]
MaxCost = Annotated[float | None, Field(
    description="Stop the job (BLOCKED) once its runs together cost more than this many US dollars")]
Filter = Annotated[str | list[str] | None, Field(description="One value or a list")]
Limit = Annotated[int, Field(ge=1, le=200, description="How many to return (1-200)")]

_READ = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)


def _write(*, destructive: bool = False, idempotent: bool = False) -> ToolAnnotations:
    return ToolAnnotations(read_only_hint=False, destructive_hint=destructive, idempotent_hint=idempotent,
                           open_world_hint=False)


def parse_filter(field: str, value: str | list[str] | None, allowed: type[JobStatus] | type[JobType]) -> list[str]:
    values = [value] if isinstance(value, str) else list(value or [])
    names = {m.value for m in allowed}
    out = []
    for item in values:
        key = item.strip().upper()
        if key not in names:
            raise InvalidArgument(field, "one or more of " + ", ".join(sorted(names)), item)
        out.append(key)
    return out


def register_job_tools(server: MCPServer[Any]) -> None:
    @server.tool(annotations=_write())
    async def job_create(
        title: Title,
        instructions: Instructions,
        ctx: Context,
        job_type: JobTypeArg = None,
        schedule: Schedule = None,
        run_at: RunAt = None,
        cron: Cron = None,
        interval_seconds: IntervalSeconds = None,
        interval_days: IntervalDays = None,
        timezone: TimeZone = None,
        start_at: StartAt = None,
        end_at: EndAt = None,
        max_runs: MaxRuns = None,
        end_condition: EndCondition = None,
        action: Action = None,
        depends_on: DependsOn = None,
        chat_id: ChatId = None,
        webhook_url: WebhookUrl = None,
        webhook_secret: WebhookSecret = None,
        idempotency_key: IdempotencyKey = None,
        max_attempts: MaxAttempts = None,
        timeout_seconds: TimeoutSeconds = None,
        misfire_grace_seconds: MisfireGrace = None,
        max_cost_usd: MaxCost = None,
    ) -> CreateResult:
        """Create a job: a reminder or a task that runs later, on a schedule, or until a goal is met.

        Give either `schedule` in plain words or explicit fields (run_at / cron / interval_*).
        The result shows the next fire times and a one-line summary: confirm them with the person.
        """
        state = app_state(ctx)
        data = JobInput(
            title=title, instructions=instructions, job_type=job_type, schedule=schedule, run_at=run_at, cron=cron,
            interval_seconds=interval_seconds, interval_days=interval_days, timezone=timezone, start_at=start_at,
            end_at=end_at, max_runs=max_runs, end_condition=end_condition, action=action or "agent",
            depends_on=depends_on or [], chat_id=chat_id, webhook_url=webhook_url, webhook_secret=webhook_secret,
            idempotency_key=idempotency_key, max_attempts=max_attempts, timeout_seconds=timeout_seconds,
            misfire_grace_seconds=misfire_grace_seconds, max_cost_usd=max_cost_usd,
        )
        owner = caller(ctx)

        async def attempt(read: dict[str, Any] | None) -> CreateOutcome:
            chosen = data if read is None else replace(data, schedule=None, schedule_text=schedule, **read)
            return await off_loop(state.service.create, owner, chosen)

        outcome = await with_schedule_fallback(state, schedule, timezone, attempt)
        return CreateResult(job=JobView.of(outcome.job), created=outcome.created,
                            next_fires=fires_of(outcome.job, state.clock.now()))

    @server.tool(annotations=_write())
    async def job_update(
        job_id: JobId,
        ctx: Context,
        title: Annotated[str | None, Field(description="New title")] = None,
        instructions: Annotated[str | None, Field(description="New instructions")] = None,
        job_type: JobTypeArg = None,
        schedule: Schedule = None,
        run_at: RunAt = None,
        cron: Cron = None,
        interval_seconds: IntervalSeconds = None,
        interval_days: IntervalDays = None,
        timezone: TimeZone = None,
        start_at: StartAt = None,
        end_at: EndAt = None,
        max_runs: MaxRuns = None,
        end_condition: EndCondition = None,
        action: Action = None,
        depends_on: DependsOn = None,
        chat_id: ChatId = None,
        webhook_url: WebhookUrl = None,
        webhook_secret: WebhookSecret = None,
        max_attempts: MaxAttempts = None,
        timeout_seconds: TimeoutSeconds = None,
        misfire_grace_seconds: MisfireGrace = None,
        max_cost_usd: MaxCost = None,
        guidance: Annotated[str | None, Field(description="A note appended for future runs")] = None,
    ) -> JobResult:
        """Change a job. Only the fields you send change; a new schedule takes effect from now."""
        sent = {k: v for k, v in locals().items() if k not in ("job_id", "ctx") and v is not None}
        state = app_state(ctx)
        owner = caller(ctx)

        async def attempt(read: dict[str, Any] | None) -> Job:
            values = sent if read is None else {**{k: v for k, v in sent.items() if k != "schedule"},
                                                "schedule_text": schedule, **read}
            return await off_loop(state.service.update, owner, job_id, JobPatch(values))

        job = await with_schedule_fallback(state, schedule, timezone, attempt)
        return JobResult(job=JobView.of(job))

    @server.tool(annotations=_write(idempotent=True))
    async def job_pause(job_id: JobId, ctx: Context, reason: Reason = None) -> JobResult:
        """Pause a job: it does not fire until job_resume. A run in progress finishes, the job stays paused."""
        job = await off_loop(app_state(ctx).service.pause, caller(ctx), job_id, reason)
        return JobResult(job=JobView.of(job))

    @server.tool(annotations=_write())
    async def job_resume(job_id: JobId, ctx: Context, reason: Reason = None) -> JobResult:
        """Resume a paused job (next fire counted from now, no burst of missed fires), retry a FAILED job,
        or release a BLOCKED one whose dependency was fixed."""
        job = await off_loop(app_state(ctx).service.resume, caller(ctx), job_id, reason)
        return JobResult(job=JobView.of(job))

    @server.tool(annotations=_write(destructive=True, idempotent=True))
    async def job_cancel(job_id: JobId, ctx: Context, reason: Reason = None) -> JobResult:
        """Cancel a job for good; a run in progress is stopped."""
        job = await off_loop(app_state(ctx).service.cancel, caller(ctx), job_id, reason)
        return JobResult(job=JobView.of(job))

    @server.tool(annotations=_write())
    async def job_run_now(job_id: JobId, ctx: Context) -> JobResult:
        """Make an ACTIVE job due now (its regular schedule continues afterwards)."""
        job = await off_loop(app_state(ctx).service.run_now, caller(ctx), job_id)
        return JobResult(job=JobView.of(job))

    @server.tool(annotations=_READ)
    async def job_retrieval_by_id(
        job_id: JobId,
        ctx: Context,
        runs: Annotated[int, Field(ge=0, le=100, description="How many recent runs to include")] = 5,
    ) -> JobWithRuns:
        """One job with its most recent runs."""
        job, run_views, total = await off_loop(_job_detail, app_state(ctx), caller(ctx), job_id, runs)
        return JobWithRuns(job=JobView.of(job), runs=run_views, total_cost_usd=total)

    @server.tool(annotations=_READ)
    async def job_list(
        ctx: Context,
        status: Filter = None,
        job_type: Filter = None,
        limit: Limit = 50,
        cursor: Annotated[str | None, Field(description="next_cursor from the previous page")] = None,
    ) -> JobListResult:
        """Your jobs, newest first, optionally filtered by status and type; page with `cursor`."""
        statuses = parse_filter("status", status, JobStatus)
        types = parse_filter("job_type", job_type, JobType)
        page = await off_loop(app_state(ctx).service.list, caller(ctx), statuses=statuses, job_types=types,
                              limit=limit, cursor=cursor)
        return JobListResult(jobs=[JobView.of(j) for j in page.jobs], next_cursor=page.next_cursor)

    @server.tool(annotations=_READ)
    async def job_runs(job_id: JobId, ctx: Context, limit: Limit = 20) -> RunListResult:
        """A job's runs, newest first: when each was due, started, finished, its outcome and summary."""
        _job, run_views, total = await off_loop(_job_detail, app_state(ctx), caller(ctx), job_id, limit)
        return RunListResult(job_id=job_id, runs=run_views, total_cost_usd=total)


def _job_detail(state: AppState, owner: str, job_id: str, runs: int) -> tuple[Job, list[RunView], float]:
    """The job, its newest runs with their deliveries, and its total cost: one trip off the event loop."""
    job, run_rows = state.service.get_with_runs(owner, job_id, runs)
    if runs > 0 and len(run_rows) < runs:
        total = sum(r.cost_usd for r in run_rows)  # every run is here: no need to ask the store for the sum
    else:
        total = job_costs(state.repo, owner, [job_id]).get(job_id, JobCost()).cost_usd
    deliveries = state.extras["deliveries"].for_runs(owner, [r.id for r in run_rows]) if run_rows else {}
    return job, [RunView.of(r, deliveries.get(r.id)) for r in run_rows], total
