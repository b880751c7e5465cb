"""The job tools (docs/design.md §9): thin wrappers that validate, call one service method and return a view."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from mcp_types import ToolAnnotations
from pydantic import Field

from jobs_mcp.app import App
from jobs_mcp.results import (
    CreateResult,
    DeleteResult,
    Detail,
    EventView,
    JobListResult,
    JobResult,
    JobView,
    JobWithRuns,
    RunListResult,
    RunView,
    UpdateResult,
    fires_of,
)
from jobs_mcp.schedule_fallback import (
    ChangedAnswer,
    ChangedReading,
    ConfirmParam,
    NewAnswer,
    NewReading,
    declined_note,
    pending_note,
    verdict,
    with_reading,
)
from jobs_mcp.state import app_state, caller, off_loop
from jobs_mcp.tool_params import DetailParam, given_arguments, model_params, with_params
from scheduler.jobs.fields import count, text
from scheduler.jobs.job_input import JobInput, JobPatch
from scheduler.jobs.service import CreateOutcome
from store import limits as L
from store.costs import JobCost, job_costs
from store.enums import JobStatus, JobType
from store.errors import InvalidArgument
from store.models import Job, JobRun

JobId = text(None, L.JOB_ID_MAX, required=True, shown=False)  # the name says it all; answers show the form
Reason = text("Why; kept in the job's history", L.REASON_MAX)
Filter = str | list[str] | None  # one value or a list: the schema says so
Limit = count(None, L.LIST_LIMIT, required=True)  # the name and bounds say it
Cursor = text("next_cursor from the previous page", L.CURSOR_MAX)
IncludeArchived = Annotated[bool, Field(description="Also ARCHIVED jobs")]
RunsShown = count("How many recent runs to include", L.RUNS_SHOWN, required=True)

_READ = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)


def _write(*, destructive: bool = False, idempotent: bool = False) -> ToolAnnotations:
    return ToolAnnotations(read_only_hint=False, destructive_hint=destructive, idempotent_hint=idempotent,
                           open_world_hint=False)


def parse_filter(field: str, value: str | list[str] | None, allowed: type[JobStatus] | type[JobType]) -> list[str]:
    values = [value] if isinstance(value, str) else list(value or [])
    names = {m.value for m in allowed}
    if len(values) > len(names):
        raise InvalidArgument(field, f"at most {len(names)} values", f"{len(values)} values")
    out = []
    for item in values:
        key = item.strip().upper()
        if key not in names:
            raise InvalidArgument(field, "one or more of " + ", ".join(sorted(names)), item)
        out.append(key)
    return out


def _job_result(job: Job) -> JobResult:
    return JobResult(job=JobView.of(job))


def register_job_tools(server: MCPServer[Any]) -> None:
    _register_writes(server)
    _register_retention(server)
    _register_reads(server)


def _register_writes(server: MCPServer[Any]) -> None:
    @server.tool(annotations=_write())
    @with_params(*model_params(JobInput, exclude=JobInput.INTERNAL))
    async def job_create(ctx: Context, reading: NewReading, answer: NewAnswer, confirm: ConfirmParam = None,
                         **fields: Any) -> CreateResult:
        """Create a job: a reminder, a task that runs later or on a schedule, or a goal watched until met.

        Say when in `schedule` (plain words) or one explicit form (run_at, cron, interval_*); times are ISO 8601,
        read in `timezone` unless they carry an offset. Confirm schedule_summary and next_fires with the person.
        {"title": "Invoices", "instructions": "Check the pending invoices", "schedule": "every Monday at 9am",
         "timezone": "Europe/Berlin", "action": "notify", "chat_id": "c-42"}
        {"title": "Pro plan price", "instructions": "Check https://example.com/pricing", "job_type": "ONGOING",
         "schedule": "every day at 8am", "end_condition": "the Pro plan costs less than $20"}
        Other schedules: 'tomorrow at 17:00', 'in 90 minutes', 'every weekday at 8:30', 'every 2 hours', 'on the
        last Friday of every month at 17:00'.
        """
        state, owner, given = app_state(ctx), caller(ctx), given_arguments(fields)
        llm_read = "llm" if reading is not None else None
        if reading is not None and (yes := verdict(answer, confirm)) is not True:
            with_reading(given, reading)  # an unusable reading is refused, not offered
            if yes is False:
                return CreateResult(created=False, interpreted_by=llm_read, note=declined_note(reading))
            return CreateResult(created=False, interpreted_by=llm_read, needs_confirmation=reading.view(),
                                note=pending_note("job_create"))

        def stored(outcome: CreateOutcome) -> CreateResult:
            return CreateResult(job=JobView.of(outcome.job, spec=outcome.spec), created=outcome.created,
                                next_fires=fires_of(outcome.job, state.clock.now(), spec=outcome.spec),
                                interpreted_by=llm_read)

        data = JobInput.model_validate(with_reading(given, reading))
        return await off_loop(state.service.create, owner, data, answer=stored)

    @server.tool(annotations=_write())
    @with_params(*model_params(JobPatch, exclude=JobInput.INTERNAL, described_in=JobInput))
    async def job_update(job_id: JobId, ctx: Context, reading: ChangedReading, answer: ChangedAnswer,
                         confirm: bool | None = None, **fields: Any) -> UpdateResult:
        """Change a job: the fields mean what they mean in job_create, and only those you send change.
        A new schedule takes effect from now."""
        state, owner, given = app_state(ctx), caller(ctx), given_arguments(fields)
        llm_read = "llm" if reading is not None else None
        if reading is not None and (yes := verdict(answer, confirm)) is not True:
            with_reading(given, reading)
            if yes is False:
                return UpdateResult(interpreted_by=llm_read, note=declined_note(reading))
            return UpdateResult(interpreted_by=llm_read, needs_confirmation=reading.view(),
                                note=pending_note("job_update"))
        patch = JobPatch.model_validate(with_reading(given, reading))
        # The brief answer shows what changed, but not the long texts back.
        changed = frozenset(patch.sent) - {"instructions", "guidance"}
        return await off_loop(state.service.update, owner, job_id, patch,
                              answer=lambda job: UpdateResult(job=JobView.of(job, also=changed),
                                                              interpreted_by=llm_read))

    @server.tool(annotations=_write(idempotent=True))
    async def job_pause(job_id: JobId, ctx: Context, reason: Reason = None) -> JobResult:
        """Pause a job: it does not fire until job_resume. A run in progress finishes, the job stays paused."""
        return await off_loop(app_state(ctx).service.pause, caller(ctx), job_id, reason, answer=_job_result)

    @server.tool(annotations=_write())
    async def job_resume(job_id: JobId, ctx: Context, reason: Reason = None) -> JobResult:
        """Resume a paused job (next fire from now, no burst of missed fires), retry a FAILED one, or release
        a BLOCKED one whose dependency was fixed."""
        return await off_loop(app_state(ctx).service.resume, caller(ctx), job_id, reason, answer=_job_result)

    @server.tool(annotations=_write(destructive=True, idempotent=True))
    async def job_cancel(job_id: JobId, ctx: Context, reason: Reason = None) -> JobResult:
        """Cancel a job for good; a run in progress is stopped."""
        return await off_loop(app_state(ctx).service.cancel, caller(ctx), job_id, reason, answer=_job_result)

    @server.tool(annotations=_write())
    async def job_run_now(job_id: JobId, ctx: Context) -> JobResult:
        """Make an ACTIVE job due now (its regular schedule continues afterwards)."""
        return await off_loop(app_state(ctx).service.run_now, caller(ctx), job_id, answer=_job_result)


def _register_retention(server: MCPServer[Any]) -> None:
    @server.tool(annotations=_write(idempotent=True))
    async def job_archive(job_id: JobId, ctx: Context, reason: Reason = None) -> JobResult:
        """Archive a finished job (hidden unless include_archived); done for you days after it ends."""
        return await off_loop(app_state(ctx).service.archive, caller(ctx), job_id, reason, answer=_job_result)

    @server.tool(annotations=_write(destructive=True, idempotent=True))
    async def job_delete(job_id: JobId, ctx: Context) -> DeleteResult:
        """Delete a finished job for good, with its runs and messages (privacy requests)."""
        await off_loop(app_state(ctx).service.delete, caller(ctx), job_id)
        return DeleteResult(deleted=job_id)


def _register_reads(server: MCPServer[Any]) -> None:
    @server.tool(annotations=_READ)
    async def job_retrieval_by_id(job_id: JobId, ctx: Context, runs: RunsShown = 5,
                                  detail: DetailParam = "brief") -> JobWithRuns:
        """One job with its most recent runs."""
        job, run_views, total = await job_detail_soon(app_state(ctx), caller(ctx), job_id, runs, detail)
        return JobWithRuns(job=JobView.of(job, detail, also=JobView.ABOUT), runs=run_views, total_cost_usd=total)

    @server.tool(annotations=_READ)
    async def job_list(ctx: Context, status: Filter = None, job_type: Filter = None, limit: Limit = 50,
                       cursor: Cursor = None, include_archived: IncludeArchived = False,
                       detail: DetailParam = "brief") -> JobListResult:
        """Your jobs, newest first, optionally filtered by status and type; page with `cursor`."""
        statuses = parse_filter("status", status, JobStatus)
        types = parse_filter("job_type", job_type, JobType)
        page = await off_loop(app_state(ctx).service.list, caller(ctx), statuses=statuses, job_types=types,
                              limit=limit, cursor=cursor, include_archived=include_archived)
        return JobListResult(jobs=[JobView.of(j, detail) for j in page.jobs], next_cursor=page.next_cursor)

    @server.tool(annotations=_READ)
    async def job_runs(job_id: JobId, ctx: Context, limit: Limit = 20, detail: DetailParam = "brief") -> RunListResult:
        """A job's runs, newest first: due, started, finished, outcome, summary; full adds each model turn,
        tool call and status change."""
        _job, run_views, total = await job_detail_soon(app_state(ctx), caller(ctx), job_id, limit, detail)
        events = await off_loop(job_events, app_state(ctx), caller(ctx), job_id) if detail == "full" else []
        return RunListResult(job_id=job_id, runs=run_views, total_cost_usd=total, events=events)


async def job_detail_soon(state: App, owner: str, job_id: str, runs: int,
                          detail: Detail) -> tuple[Job, list[RunView], float]:
    """job_detail, its by-id read made on the event loop where the store can do that without waiting
    (SQLite: store/quick_reads.py), which spares the worker-thread hop; the rest (the cost sum over
    all runs, deliveries) and every other case go to a worker thread as before."""
    found = state.service.get_with_runs_now(owner, job_id, runs)
    if found is not None and _complete(found[1], runs) and (detail == "brief" or not found[1]):
        return job_detail(state, owner, job_id, runs, detail, found)
    return await off_loop(job_detail, state, owner, job_id, runs, detail, found)


def _complete(run_rows: list[JobRun], runs: int) -> bool:
    """Every run of the job is among `run_rows`, so their costs sum to the job's total."""
    return runs > 0 and len(run_rows) < runs


def job_detail(state: App, owner: str, job_id: str, runs: int, detail: Detail,
               found: tuple[Job, list[JobRun]] | None = None) -> tuple[Job, list[RunView], float]:
    """The job, its newest runs (with their deliveries in full), and its total cost: one trip off the event loop
    (`found`: the job and runs read already)."""
    job, run_rows = found or state.service.get_with_runs(owner, job_id, runs)
    if _complete(run_rows, runs):
        total = sum(r.cost_usd for r in run_rows)  # every run is here: no need to ask the store for the sum
    else:
        total = job_costs(state.repo, owner, [job_id]).get(job_id, JobCost()).cost_usd
    total = round(total, 6)
    if detail == "brief":
        return job, [RunView.of(r, job.timezone) for r in run_rows], total
    deliveries = state.deliveries.for_runs(owner, [r.id for r in run_rows]) if run_rows else {}
    return job, [RunView.of(r, job.timezone, detail, deliveries.get(r.id)) for r in run_rows], total


def job_events(state: App, owner: str, job_id: str) -> list[EventView]:
    """The job's status changes, oldest first, in its time zone."""
    job = state.service.get(owner, job_id)
    return [EventView.of(event, job.timezone) for event in state.service.events(owner, job_id)]
