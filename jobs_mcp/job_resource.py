"""The resource template jobs://job/{job_id}: one of the caller's jobs, every field, for a client to attach.

Its `job_id` is completed from the caller's own jobs (jobs_mcp/completion.py).
"""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceError

from jobs_mcp.results import JobView, compact_json, lean
from jobs_mcp.state import app_state, caller, off_loop
from store.errors import JobsError

JOB_URI = "jobs://job/{job_id}"


def register_job_resource(server: MCPServer[Any]) -> None:
    @server.resource(JOB_URI, name="job", title="A job", mime_type="application/json",
                     description="One of your jobs with every field (as job_retrieval_by_id with detail full)")
    async def job_resource(job_id: str, ctx: Context) -> str:
        app = app_state(ctx)
        try:
            job = await off_loop(app.service.get, caller(ctx), job_id)
        except JobsError as exc:
            raise ResourceError(f"{exc.code}: {exc.message}") from exc
        return compact_json(lean(JobView.of(job, "full")))
