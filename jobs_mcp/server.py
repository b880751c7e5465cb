"""The MCP server: tools registered on an MCPServer whose errors pass through one translator."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from typing import Any

from mcp.server.lowlevel.helper_types import ReadResourceContents
from mcp.server.mcpserver import Context, MCPServer
from mcp.shared.exceptions import MCPError
from mcp_types import CallToolResult, InputRequiredResult, TextContent
from pydantic import AnyUrl
from starlette.types import ASGIApp

from jobs_mcp.config import Settings
from jobs_mcp.delivery_setup import install_delivery
from jobs_mcp.engine_wiring import attach_engine
from jobs_mcp.errors import error_text
from jobs_mcp.http_guard import HostGuard, transport_security
from jobs_mcp.identity import OwnerMiddleware, TokenTable
from jobs_mcp.llm_setup import fetch_allow_list, install_llm
from jobs_mcp.search_setup import install_search
from jobs_mcp.state import AppState
from jobs_mcp.strict_args import refuse_unknown
from jobs_mcp.tools_inbox import INBOX_URI, read_inbox_resource
from jobs_mcp.tools_jobs import register_job_tools
from jobs_mcp.tools_schedule import register_schedule_tools
from scheduler.clock import Clock, SystemClock
from scheduler.engine.actions import Action
from scheduler.jobs.quotas import Quotas
from scheduler.jobs.service import JobService
from scheduler.jobs.validation import Limits
from store.engine import ensure_schema, make_engine
from store.repository import JobRepository

log = logging.getLogger(__name__)

INSTRUCTIONS = (
    "jobs-mcp keeps work that outlives the conversation: reminders, scheduled and recurring tasks, and "
    "ongoing goals. Create jobs with job_create (plain-words `schedule` or explicit fields), confirm the "
    "returned schedule_summary and next fires with the person, and manage them with the other job_* tools."
)



class JobsServer(MCPServer[AppState]):
    """MCPServer whose tool failures all become coded error text (see jobs_mcp.errors)."""

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[AppState, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        try:
            tool = self._tool_manager.get_tool(name)
            if tool is not None:
                refuse_unknown(name, arguments, tool.parameters.get("properties", {}))
            return await super().call_tool(name, arguments, context)
        except MCPError:
            raise
        except Exception as exc:
            return CallToolResult(content=[TextContent(type="text", text=error_text(exc, tool=name))],
                                  is_error=True)

    async def read_resource(
        self, uri: AnyUrl | str, context: Context[AppState, Any] | None = None
    ) -> Iterable[ReadResourceContents] | InputRequiredResult:
        if str(uri) == INBOX_URI and context is not None:
            text = await read_inbox_resource(context)
            return [ReadResourceContents(content=text, mime_type="application/json")]
        return await super().read_resource(uri, context)


def build_state(settings: Settings, clock: Clock | None = None, *, engine: bool | None = None,
                actions: Mapping[str, Action] | None = None) -> AppState:
    """The server's shared state. The engine (poller loop) runs by default only on the real clock:
    a test that injects a clock drives `tick(now)` itself, or passes engine=True."""
    run_engine = clock is None if engine is None else engine
    clock = clock or SystemClock()
    engine = make_engine(settings.database_url)
    ensure_schema(engine)
    repo = JobRepository(engine)
    limits = Limits(min_interval_seconds=settings.min_interval_seconds, default_timezone=settings.timezone,
                    fetch_allow=fetch_allow_list(settings))
    quotas = Quotas(settings.max_active_jobs or None, settings.max_creates_per_minute or None,
                    settings.max_daily_spend_usd or None)  # 0 in the configuration: no limit
    service = JobService(repo, clock, limits, quotas)
    state = AppState(settings=settings, clock=clock, engine=engine, repo=repo, service=service)
    install_search(state)  # keyword + semantic retrieval tools, the embedder and its background model load
    install_llm(state)  # the agent action (or NoLLMAction without a key) and job_observe_chat
    outbox = install_delivery(state, dispatch=run_engine)  # inbox, jobs://inbox, signed webhooks
    if run_engine:
        attach_engine(state, actions, outbox=outbox)
    return state


def build_server(state: AppState) -> JobsServer:
    @asynccontextmanager
    async def lifespan(_server: MCPServer[AppState]) -> AsyncIterator[AppState]:
        starts: list[tuple[str, Any]] = list(state.extras.get("lifecycle", []))
        started = []
        try:
            for name, component in starts:
                await component.start()
                started.append((name, component))
            yield state
        finally:
            for _name, component in reversed(started):
                await component.stop()

    server = JobsServer("jobs-mcp", instructions=INSTRUCTIONS, version="0.1.0", lifespan=lifespan,
                        subscriptions=state.extras.get("subscription_bus"))
    register_job_tools(server)
    register_schedule_tools(server)
    for register in state.extras.get("tool_registrars", []):
        register(server)
    return server


def build_http_app(server: JobsServer, settings: Settings) -> ASGIApp:
    """/mcp behind the Host/Origin check and the owner resolution (docs/identity.md)."""
    tokens = TokenTable.load(settings.tokens_file) if settings.tokens_file else None
    security = transport_security(settings.public_hosts)
    app = server.streamable_http_app(streamable_http_path="/mcp", transport_security=security,
                                     session_idle_timeout=settings.session_idle_seconds,
                                     max_sessions=settings.max_sessions)
    return HostGuard(OwnerMiddleware(app, tokens), security)
