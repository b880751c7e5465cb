"""schedule_preview: what a schedule means, before anything is scheduled."""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import Context, MCPServer
from mcp_types import ToolAnnotations
from pydantic import Field

from jobs_mcp.results import LLM_READ, PublicModel, iso
from jobs_mcp.schedule_fallback import NewReading, with_reading
from jobs_mcp.state import app_state, caller, off_loop
from jobs_mcp.tool_params import DetailParam, given_arguments, model_params, with_params
from scheduler.jobs.fields import count, text
from scheduler.jobs.job_input import JobInput
from scheduler.jobs.service import SchedulePlan
from store import limits as L


class PreviewResult(PublicModel):
    """Brief: job_type, summary and fires; `detail: "full"` adds the zone and the explicit fields the words mean."""

    job_type: str
    summary: str = Field(description="One line, e.g. 'Every Monday at 09:00 (Europe/Berlin)'")
    fires: list[str] = Field(description="Next fires strictly after now, in the zone with offset (one for ONE_OFF)")
    timezone: str | None = None
    run_at: str | None = None
    cron: str | None = None
    interval_seconds: int | None = None
    interval_days: int | None = None
    anchor_at: str | None = Field(None, description="RECURRING: the first fire; later fires are counted from it")
    interpreted_by: str | None = Field(None, description=LLM_READ)


PREVIEW_FIELDS = ("schedule", "job_type", "run_at", "cron", "interval_seconds", "interval_days", "timezone")
PreviewCount = count("How many fire times to list", L.PREVIEW_COUNT, required=True)
Now = text("Pretend it is this moment (ISO 8601), for what-if questions", L.TIME_TEXT_MAX)


def register_schedule_tools(server: MCPServer[Any]) -> None:
    @server.tool(annotations=ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True,
                                             open_world_hint=False))
    @with_params(*model_params(JobInput, only=PREVIEW_FIELDS, described_in=JobInput))
    async def schedule_preview(ctx: Context, reading: NewReading, count: PreviewCount = 5, now: Now = None,
                               detail: DetailParam = "brief", **fields: Any) -> PreviewResult:
        """How a schedule (fields as in job_create) is read: its job type, a one-line summary, the next fire
        times. Stores nothing."""
        state = app_state(ctx)
        data = JobInput.model_validate({"title": "preview", "instructions": "preview",
                                        **with_reading(given_arguments(fields), reading)})
        preview: SchedulePlan = await off_loop(state.service.preview, data, now, count, caller(ctx))
        result = PreviewResult(job_type=preview.job_type.value, summary=preview.summary, fires=preview.fires_local,
                               interpreted_by="llm" if reading is not None else None)
        if detail == "full":
            spec = preview.spec
            result = result.model_copy(update={
                "timezone": preview.timezone, "run_at": iso(spec.run_at), "cron": spec.cron,
                "interval_seconds": spec.interval_seconds, "interval_days": spec.interval_days,
                "anchor_at": iso(spec.anchor_at)})
        return result
