"""job_observe_chat: the chat agent reports what the person said; ONGOING goals met by it are completed."""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import Context, MCPServer
from mcp_types import ToolAnnotations
from pydantic import Field

from jobs_mcp.results import PublicModel
from jobs_mcp.state import app_state, caller
from scheduler.engine.actions import NoLLMAction
from scheduler.jobs.fields import text
from scheduler.llm.observe import ChatObserver, Observation
from store import limits as L

Message = text("What the person just said, verbatim", L.MESSAGE_MAX, required=True)
ChatId = text("The chat it was said in (the chat_id of your jobs)", L.CHAT_ID_MAX, required=True)


class ObservedJob(PublicModel):
    job_id: str
    title: str
    met: bool
    reason: str

    @classmethod
    def of(cls, observation: Observation) -> ObservedJob:
        return cls(job_id=observation.job_id, title=observation.title, met=observation.met,
                   reason=observation.reason)


class ObserveResult(PublicModel):
    completed: list[ObservedJob] = Field(description="ONGOING jobs completed because their end condition is met")
    checked: list[ObservedJob] = Field(description="Every job the judge was asked about, met or not")
    skipped_unrelated: int = Field(description="Jobs of this chat whose end condition does not relate to the message")
    cost_usd: float
    note: str | None = None


def register_observe_tools(server: MCPServer[Any]) -> None:
    @server.tool(annotations=ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=True,
                                             open_world_hint=False))
    async def job_observe_chat(
        message: Message,
        chat_id: ChatId,
        ctx: Context,
    ) -> ObserveResult:
        """Pass on what the person just said: ONGOING jobs of this chat whose end condition it meets ("I booked
        the flight" for "until a flight is booked") are completed and listed."""
        state = app_state(ctx)
        llm = state.llm
        if llm is None:
            return ObserveResult(completed=[], checked=[], skipped_unrelated=0, cost_usd=0.0, note=NoLLMAction.ERROR)
        report = await ChatObserver(llm, state.service).observe(caller(ctx), chat_id, message, state.clock.now())
        note = "; ".join(report.errors) or None
        return ObserveResult(completed=[ObservedJob.of(o) for o in report.completed],
                             checked=[ObservedJob.of(o) for o in report.checked],
                             skipped_unrelated=report.skipped_unrelated, cost_usd=round(report.usage.cost_usd, 8),
                             note=note)
