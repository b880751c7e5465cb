"""Argument completion (`completion/complete`): IANA zone names for `timezone`, the caller's own jobs for `job_id`.

The SDK's `MCPServer.completion()` hands its function no request context, and `job_id` must come from
the caller's own jobs only, so the handler is registered on the low-level server, where the request (and
with it the owner) is at hand.
"""

from __future__ import annotations

from typing import Any

from mcp.server.context import ServerRequestContext
from mcp.server.mcpserver import Context, MCPServer
from mcp_types import CompleteRequestParams, CompleteResult, Completion

from jobs_mcp.app import App
from jobs_mcp.state import app_state, caller, off_loop
from scheduler.schedules.timezones import zone_names
from store.enums import JobStatus

MAX_VALUES = 20  # what a picker shows at once; `total` and `has_more` tell the client there are more
JOBS_SCANNED = 200  # the newest jobs a job_id completion looks through


def zones_matching(typed: str) -> list[str]:
    """IANA names for what was typed: prefixes of the name or of its city first, then other substrings."""
    needle = typed.strip().casefold().replace(" ", "_")
    names = zone_names()
    if not needle:
        return list(names)
    prefix = [n for n in names if n.casefold().startswith(needle) or n.rsplit("/", 1)[-1].casefold().startswith(
        needle)]
    inside = [n for n in names if needle in n.casefold() and n not in prefix]
    return prefix + inside


def jobs_matching(state: App, owner: str, typed: str) -> list[str]:
    """Ids of the owner's newest jobs whose id starts with, or whose title contains, what was typed."""
    needle = typed.strip().casefold()
    statuses = [s.value for s in JobStatus if s != JobStatus.ARCHIVED]
    page = state.service.list(owner, statuses=statuses, job_types=[], limit=JOBS_SCANNED, cursor=None)
    return [job.id for job in page.jobs if job.id.startswith(needle) or needle in job.title.casefold()]


def register_completion(server: MCPServer[Any]) -> None:
    async def complete(ctx: ServerRequestContext[Any], params: CompleteRequestParams) -> CompleteResult:
        name, typed = params.argument.name, params.argument.value
        if name == "timezone":
            values = zones_matching(typed)
        elif name == "job_id":
            context = Context(request_context=ctx, mcp_server=server)
            values = await off_loop(jobs_matching, app_state(context), caller(context), typed)
        else:
            values = []
        return CompleteResult(completion=Completion(values=values[:MAX_VALUES], total=len(values),
                                                    has_more=len(values) > MAX_VALUES))

    server._lowlevel_server.add_request_handler("completion/complete", CompleteRequestParams, complete)
