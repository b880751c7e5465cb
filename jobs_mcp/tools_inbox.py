"""job_inbox and the jobs://inbox resource: what the jobs have to tell the chat."""

from __future__ import annotations

import json
from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from mcp_types import ToolAnnotations
from pydantic import Field

from jobs_mcp.delivery_setup import INBOX_URI
from jobs_mcp.results import PublicModel
from jobs_mcp.state import app_state, caller, off_loop
from scheduler.jobs.fields import count, text
from store import limits as L
from store.models import Delivery

ChatFilter = text("Only messages for this chat; default: all of yours", L.CHAT_ID_MAX)
InboxLimit = count("How many messages at most", L.LIST_LIMIT, required=True)


class InboxMessage(PublicModel):
    id: str = Field(description="Delivery id")
    job_id: str
    title: str = Field(description="The job's title")
    run_id: str | None
    chat_id: str | None
    event: str = Field(description="run.finished, job.completed, job.failed, job.blocked or job.cancelled")
    status: str = Field(description="The job's status after this run")
    message: str = Field(description="What to tell the person")
    created_at: str

    @classmethod
    def of(cls, row: Delivery) -> InboxMessage:
        return cls(id=row.id, job_id=row.job_id, title=row.title, run_id=row.run_id, chat_id=row.chat_id,
                   event=row.event, status=str(row.payload.get("status", "")), message=row.message,
                   created_at=row.created_at.isoformat(timespec="seconds"))


class InboxResult(PublicModel):
    messages: list[InboxMessage]


def register_inbox_tools(server: MCPServer[Any]) -> None:
    @server.tool(annotations=ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False,
                                             open_world_hint=False))
    async def job_inbox(
        ctx: Context,
        chat_id: ChatFilter = None,
        limit: InboxLimit = 20,
        ack: Annotated[bool, Field(description="Mark the returned messages read (they will not come again)")] = True,
    ) -> InboxResult:
        """Messages your jobs left for the chat (reminders, results, final outcomes), oldest first.

        Call it at the start of each turn and tell the person what arrived.
        """
        state = app_state(ctx)
        rows = await off_loop(state.deliveries.read_inbox, caller(ctx), chat_id, limit, ack,
                              state.clock.now())
        return InboxResult(messages=[InboxMessage.of(r) for r in rows])

    # Listed here; read through JobsServer.read_resource, because the SDK gives static
    # resources no request context, and the inbox is the caller's own.
    @server.resource(INBOX_URI, name="inbox", title="Job inbox", mime_type="application/json",
                     description="Unread messages from your jobs, oldest first (reading does not mark them read; "
                                 "job_inbox does). Subscribe to hear when a message arrives.")
    def inbox_listing() -> str:
        return json.dumps({"messages": []})


async def read_inbox_resource(ctx: Context) -> str:
    """The caller's unread messages as JSON, without marking them read."""
    state = app_state(ctx)
    rows = await off_loop(state.deliveries.read_inbox, caller(ctx), None, 200, False, state.clock.now())
    return json.dumps({"messages": [InboxMessage.of(r).model_dump() for r in rows]})
