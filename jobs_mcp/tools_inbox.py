"""job_inbox and the jobs://inbox resource: what the jobs have to tell the chat."""

from __future__ import annotations

import json
from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from mcp_types import ToolAnnotations
from pydantic import Field

from jobs_mcp.app import App
from jobs_mcp.delivery_setup import INBOX_URI
from jobs_mcp.results import Detail, PublicModel, compact_json, lean
from jobs_mcp.state import app_state, caller, off_loop
from jobs_mcp.tool_params import DetailParam
from scheduler.jobs.fields import count, text
from store import limits as L
from store.models import Delivery

ChatFilter = text("Only messages for this chat; default: all of yours", L.CHAT_ID_MAX)
InboxLimit = count("How many messages at most", L.LIST_LIMIT, required=True)


class InboxMessage(PublicModel):
    """Brief: job_id, title, event, message, created_at (and the chat when not filtered); full: every field."""

    job_id: str
    title: str = Field(description="The job's title")
    event: str = Field(description="run.finished, job.completed, job.failed, job.blocked or job.cancelled")
    message: str = Field(description="What to tell the person")
    created_at: str
    chat_id: str | None = None
    id: str | None = Field(None, description="Delivery id")
    run_id: str | None = None
    status: str | None = Field(None, description="The job's status after this run")

    @classmethod
    def of(cls, row: Delivery, detail: Detail = "full", chat_filter: str | None = None) -> InboxMessage:
        message = cls(job_id=row.job_id, title=row.title, event=row.event, message=row.message,
                      created_at=row.created_at.isoformat(timespec="seconds"),
                      chat_id=row.chat_id if chat_filter is None or detail == "full" else None)
        if detail == "full":
            message = message.model_copy(update={"id": row.id, "run_id": row.run_id,
                                                 "status": str(row.payload.get("status", "")) or None})
        return message


class InboxResult(PublicModel):
    messages: list[InboxMessage]
    more: int = Field(0, description="Unread messages of this filter not returned (raise limit, or call again)")
    unread_elsewhere: int = Field(0, description="With chat_id: unread messages of other chats or of no chat")


def _read(state: App, owner: str, chat_id: str | None, limit: int, ack: bool, detail: Detail) -> InboxResult:
    """The messages, and what the filter and the limit left unread: one trip off the event loop."""
    deliveries = state.deliveries
    rows = deliveries.read_inbox(owner, chat_id, limit, ack, state.clock.now())
    here, elsewhere = deliveries.unread_counts(owner, chat_id)
    return InboxResult(messages=[InboxMessage.of(r, detail, chat_id) for r in rows],
                       more=here if ack else here - len(rows), unread_elsewhere=elsewhere)


def register_inbox_tools(server: MCPServer[Any]) -> None:
    @server.tool(annotations=ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False,
                                             open_world_hint=False))
    async def job_inbox(
        ctx: Context,
        chat_id: ChatFilter = None,
        limit: InboxLimit = 20,
        ack: Annotated[bool, Field(description="Mark the returned messages read (they will not come again)")] = True,
        detail: DetailParam = "brief",
    ) -> InboxResult:
        """Messages your jobs left for the chat (reminders, results, outcomes), oldest first. Call it at the
        start of each turn and tell the person what arrived."""
        return await off_loop(_read, app_state(ctx), caller(ctx), chat_id, limit, ack, detail)

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
    return compact_json({"messages": [lean(InboxMessage.of(r)) for r in rows]})
