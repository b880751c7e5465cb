"""agent_tools_available: the MCP servers this caller's agent jobs may use, and their tools."""

from __future__ import annotations

import asyncio
from typing import Any

from mcp.server.mcpserver import Context, MCPServer
from mcp_types import ToolAnnotations
from pydantic import Field

from jobs_mcp.results import PublicModel, clip
from jobs_mcp.state import app_state, caller
from scheduler.agent_tools.catalog import AgentTools
from store.errors import ToolServerUnavailable

LIST_TIMEOUT_S = 15.0  # a server that does not answer by then is listed with its error
DESCRIPTION_BRIEF = 200


class AgentToolView(PublicModel):
    name: str
    description: str | None = None
    destructive: bool = Field(False, description="Offered only when named as '<server>/<tool>'")


class AgentServerView(PublicModel):
    name: str
    tools: list[AgentToolView] = Field(default_factory=list)
    error: str | None = Field(None, description="Why its tools cannot be listed now")


class AgentToolsResult(PublicModel):
    servers: list[AgentServerView]


async def _server_view(agent_tools: AgentTools, server: str) -> AgentServerView:
    try:
        tools = await asyncio.wait_for(agent_tools.tools_of(server), LIST_TIMEOUT_S)
    except (ToolServerUnavailable, TimeoutError) as exc:
        reason = exc.cause if isinstance(exc, ToolServerUnavailable) else f"no answer within {LIST_TIMEOUT_S:g} s"
        return AgentServerView(name=server, error=reason)
    return AgentServerView(name=server, tools=[
        AgentToolView(name=t.name, description=clip(t.description, DESCRIPTION_BRIEF) or None,
                      destructive=t.destructive) for t in tools])


def register_agent_tools(server: MCPServer[Any]) -> None:
    @server.tool(annotations=ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True,
                                             open_world_hint=False))
    async def agent_tools_available(ctx: Context) -> AgentToolsResult:
        """MCP servers and tools your agent jobs may name in agent_tools."""
        state = app_state(ctx)
        agent_tools = state.agent_tools
        if agent_tools is None:
            return AgentToolsResult(servers=[])
        names = agent_tools.visible_servers(caller(ctx))
        views = await asyncio.gather(*(_server_view(agent_tools, name) for name in names))
        return AgentToolsResult(servers=list(views))
