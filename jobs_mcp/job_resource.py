"""The resource template jobs://jobs/{job_id}: one of the caller's jobs with every field and its last runs,
for a client to attach; subscribers hear `notifications/resources/updated` on each change of it (a tool's
change, a run's end), from whichever node made it (jobs_mcp/delivery_setup.py).

Its `job_id` is completed from the caller's own jobs (jobs_mcp/completion.py).
"""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceError

from jobs_mcp.results import JobView, JobWithRuns, compact_json, lean
from jobs_mcp.state import app_state, caller
from jobs_mcp.tools_jobs import job_detail_soon
from store.errors import JobsError

JOB_URI = "jobs://jobs/{job_id}"
RUNS_SHOWN = 5


def job_uri(job_id: str) -> str:
    return JOB_URI.replace("{job_id}", job_id)


def register_job_resource(server: MCPServer[Any]) -> None:
    @server.resource(JOB_URI, name="job", title="A job", mime_type="application/json",
                     description="One of your jobs with every field and its last runs (as job_retrieval_by_id "
                                 "with detail full); subscribe to hear of each change")
    async def job_resource(job_id: str, ctx: Context) -> str:
        try:
            job, runs, total = await job_detail_soon(app_state(ctx), caller(ctx), job_id, RUNS_SHOWN, "full")
        except JobsError as exc:
            raise ResourceError(f"{exc.code}: {exc.message}") from exc
        return compact_json(lean(JobWithRuns(job=JobView.of(job, "full"), runs=runs, total_cost_usd=total)))
