"""The MCP server: tools registered on an MCPServer whose errors pass through one translator."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Any

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.lowlevel.helper_types import ReadResourceContents
from mcp.server.mcpserver import Context, MCPServer
from mcp.shared.exceptions import MCPError
from mcp_types import CallToolResult, InputRequiredResult, TextContent
from mcp_types import Tool as MCPTool
from pydantic import AnyUrl
from starlette.types import ASGIApp

from jobs_mcp.app import App
from jobs_mcp.chat_prompts import register_prompts
from jobs_mcp.completion import register_completion
from jobs_mcp.config import Settings
from jobs_mcp.errors import error_text
from jobs_mcp.http_guard import HostGuard, transport_security
from jobs_mcp.identity import OwnerMiddleware, TokenTable
from jobs_mcp.job_resource import register_job_resource
from jobs_mcp.operator_access import OperatorAccess
from jobs_mcp.operator_http import OperatorRoutes, operator_pages
from jobs_mcp.results import PublicModel, compact_json, lean
from jobs_mcp.schemas import portable_tool
from jobs_mcp.session_caps import cap_sessions_per_owner
from jobs_mcp.strict_args import refuse_unknown
from jobs_mcp.tools_agent import register_agent_tools
from jobs_mcp.tools_inbox import INBOX_URI, read_inbox_resource, register_inbox_tools
from jobs_mcp.tools_jobs import register_job_tools
from jobs_mcp.tools_observe import register_observe_tools
from jobs_mcp.tools_owner import register_owner_tools
from jobs_mcp.tools_schedule import register_schedule_tools
from jobs_mcp.tools_search import register_search_tools

log = logging.getLogger(__name__)

INSTRUCTIONS = (
    "jobs-mcp keeps work that outlives the conversation: reminders, scheduled and recurring tasks, and "
    "ongoing goals watched until met. Create jobs with job_create (plain-words `schedule` or explicit fields) "
    "and confirm the answer's schedule_summary and next_fires with the person. At the start of each turn call "
    "job_inbox and tell the person what arrived. Answers are compact JSON: reads are brief unless you pass "
    "detail \"full\", and a field left out is unset or at its default. Times are ISO 8601; next_run_local "
    "and run times are in the job's zone, with offset."
)


class JobsServer(MCPServer[App]):
    """MCPServer whose tools answer lean JSON, publish portable schemas, and fail with coded error text
    (see jobs_mcp.results, jobs_mcp.schemas, jobs_mcp.errors)."""

    _listed: tuple[tuple[int, ...], list[MCPTool]] | None = None
    # tools/list as the SDK shaped it for the wire, per protocol version (`listing_as_sent`).
    _listing_sent: dict[tuple[str, tuple[int, ...]], dict[str, Any]] | None = None
    node: App | None = None  # the app this server was built over (build_server)
    on_tool_call: Callable[[str, bool, float], None] | None = None  # (tool, ok, seconds): metrics

    async def list_tools(self) -> list[MCPTool]:
        key = tuple(id(info) for info in self._tool_manager.list_tools())
        if self._listed is None or self._listed[0] != key:
            self._listed = key, [portable_tool(tool) for tool in await super().list_tools()]
        return self._listed[1]

    async def listing_as_sent(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        """Server middleware: tools/list answered with the wire form the SDK made for the first one.

        Every session asks for the listing once (the client checks answers against the output schemas),
        and the SDK makes its wire form from our cached tools anew each time: a model dump, a validation
        and dump against the protocol version's result shape: 4-5 x a bare server's listing in CPU, a
        third of our server's CPU per call beyond the bare server's at 10 calls a session
        (docs/performance.md, phase 4). The listing is the same for every caller and changes only when
        the tools do. Pages (a cursor) are not cached; the SDK copies the dict before the envelope.
        """
        if ctx.method != "tools/list" or (ctx.params and ctx.params.get("cursor")):
            return await call_next(ctx)
        key = (ctx.protocol_version, tuple(id(info) for info in self._tool_manager.list_tools()))
        sent = self._listing_sent if self._listing_sent is not None else {}
        if key not in sent:
            result = await call_next(ctx)
            if not isinstance(result, dict):
                return result
            self._listing_sent = {**{k: v for k, v in sent.items() if k[1] == key[1]}, key: result}
            return result
        return dict(sent[key])

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[App, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        started, ok = time.perf_counter(), False
        try:
            result = await self._call_tool(name, arguments, context)
            ok = not getattr(result, "is_error", False)
            return result
        finally:
            if self.on_tool_call is not None:
                known = self._tool_manager.get_tool(name) is not None
                self.on_tool_call(name if known else "unknown", ok, time.perf_counter() - started)

    async def _call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[App, Any] | None
    ) -> CallToolResult | InputRequiredResult:
        try:
            tool = self._tool_manager.get_tool(name)
            if tool is None:
                return await super().call_tool(name, arguments, context)
            refuse_unknown(name, arguments, tool.parameters.get("properties", {}))
            if context is None:
                context = Context(mcp_server=self, subscriptions=self._subscriptions)
            result = await self._tool_manager.call_tool(name, arguments, context, convert_result=False)
            if isinstance(result, PublicModel):
                # The SDK would send the model pretty-printed with every null; the text is what a
                # model reads, so both forms are the same lean, compact JSON.
                data = lean(result)
                return CallToolResult(content=[TextContent(type="text", text=compact_json(data))],
                                      structured_content=data)
            return tool.fn_metadata.convert_result(result)
        except MCPError:
            raise
        except Exception as exc:
            return CallToolResult(content=[TextContent(type="text", text=error_text(exc, tool=name))],
                                  is_error=True)

    async def read_resource(
        self, uri: AnyUrl | str, context: Context[App, Any] | None = None
    ) -> Iterable[ReadResourceContents] | InputRequiredResult:
        if str(uri) == INBOX_URI and context is not None:
            text = await read_inbox_resource(context)
            return [ReadResourceContents(content=text, mime_type="application/json")]
        return await super().read_resource(uri, context)


def build_server(app: App) -> JobsServer:
    """The MCP server over `app`: its lifespan starts and stops the app's components."""

    @asynccontextmanager
    async def lifespan(_server: MCPServer[App]) -> AsyncIterator[App]:
        async with app.running():
            yield app

    server = JobsServer("jobs-mcp", instructions=INSTRUCTIONS, version="0.1.0", lifespan=lifespan,
                        subscriptions=app.subscriptions)
    register_job_tools(server)
    register_schedule_tools(server)
    if app.search is not None:
        register_search_tools(server)
    register_observe_tools(server)
    if app.agent_tools is not None:  # listed only where MCP servers are configured
        register_agent_tools(server)
    register_inbox_tools(server)
    register_owner_tools(server)
    register_job_resource(server)
    register_prompts(server)
    register_completion(server)
    app.subscriptions.install(server)
    server.middleware.append(server.listing_as_sent)
    server.node = app
    def on_tool_call(tool: str, ok: bool, seconds: float) -> None:
        app.metrics.tool_call(tool, ok, seconds)
        app.warmups.answered()  # the first answer is out: the loads it did not need may begin

    server.on_tool_call = on_tool_call
    return server


def build_http_app(server: JobsServer, settings: Settings) -> ASGIApp:
    """/mcp behind the owner resolution (docs/identity.md), the operator routes beside it
    (docs/observability.md), all behind the Host/Origin check."""
    tokens = TokenTable.load(settings.tokens_file) if settings.tokens_file else None
    security = transport_security(settings.public_hosts)
    app = server.streamable_http_app(streamable_http_path="/mcp", transport_security=security,
                                     session_idle_timeout=settings.session_idle_seconds,
                                     max_sessions=settings.max_sessions)
    cap_sessions_per_owner(server.session_manager, settings.max_sessions_per_owner)
    mcp = OwnerMiddleware(app, tokens)
    if server.node is None:
        return HostGuard(mcp, security)
    pages = operator_pages(server.node, OperatorAccess(tokens, settings.host))
    return HostGuard(OperatorRoutes(mcp, pages), security)
