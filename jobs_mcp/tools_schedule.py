"""schedule_preview: what a schedule means, before anything is scheduled."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from mcp_types import ToolAnnotations
from pydantic import Field

from jobs_mcp.results import FireTime, PublicModel
from jobs_mcp.schedule_fallback import with_schedule_fallback
from jobs_mcp.state import app_state, off_loop
from jobs_mcp.tools_jobs import Cron, IntervalDays, IntervalSeconds, JobTypeArg, RunAt, Schedule, TimeZone
from scheduler.jobs.job_input import JobInput
from scheduler.jobs.service import SchedulePlan


class PreviewResult(PublicModel):
    job_type: str
    summary: str = Field(description="One line, e.g. 'Every Monday at 09:00 (Europe/Berlin)'")
    timezone: str
    fires: list[FireTime] = Field(description="Next fires strictly after now (exactly one for ONE_OFF)")
    run_at: str | None = None
    cron: str | None = None
    interval_seconds: int | None = None
    interval_days: int | None = None
    anchor_at: str | None = Field(None, description="RECURRING: the first fire; later fires are counted from it")


def register_schedule_tools(server: MCPServer[Any]) -> None:
    @server.tool(annotations=ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True,
                                             open_world_hint=False))
    async def schedule_preview(
        ctx: Context,
        schedule: Schedule = None,
        job_type: JobTypeArg = None,
        run_at: RunAt = None,
        cron: Cron = None,
        interval_seconds: IntervalSeconds = None,
        interval_days: IntervalDays = None,
        timezone: TimeZone = None,
        count: Annotated[int, Field(ge=1, le=50, description="How many fire times to list")] = 5,
        now: Annotated[str | None, Field(
            description="Pretend it is this moment (ISO 8601), for what-if questions; default: the real now")] = None,
    ) -> PreviewResult:
        """Show how a schedule is understood: its job type, a one-line summary and the next fire times.

        Use it to confirm a schedule with the person before job_create. Nothing is stored.
        """
        data = JobInput(title="preview", instructions="preview", schedule=schedule, job_type=job_type,
                        run_at=run_at, cron=cron, interval_seconds=interval_seconds, interval_days=interval_days,
                        timezone=timezone)
        state = app_state(ctx)

        async def attempt(read: dict[str, Any] | None) -> SchedulePlan:
            chosen = data if read is None else replace(data, schedule=None, schedule_text=schedule, **read)
            return await off_loop(state.service.preview, chosen, now, count)

        preview = await with_schedule_fallback(state, schedule, timezone, attempt)
        spec = preview.spec
        return PreviewResult(
            job_type=preview.job_type.value, summary=preview.summary, timezone=preview.timezone,
            fires=[FireTime(utc=u.isoformat(timespec="seconds"), local=loc)
                   for u, loc in zip(preview.fires_utc, preview.fires_local, strict=True)],
            run_at=spec.run_at.isoformat(timespec="seconds") if spec.run_at else None, cron=spec.cron,
            interval_seconds=spec.interval_seconds, interval_days=spec.interval_days,
            anchor_at=spec.anchor_at.isoformat(timespec="seconds") if spec.anchor_at else None,
        )
