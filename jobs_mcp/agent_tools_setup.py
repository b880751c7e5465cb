"""The MCP servers of JOBS_MCP_SERVERS_FILE as agent tools, for the composition root (docs/agent-tools.md)."""

from __future__ import annotations

from pathlib import Path

from jobs_mcp.config import Settings
from scheduler.agent_tools.catalog import AgentTools
from scheduler.agent_tools.pool import ConnectionPool
from scheduler.agent_tools.servers import parse_servers
from store.errors import InvalidArgument

SERVERS_EXPECTED = 'a JSON file {"mcpServers": {"name": {"command": ..., "args": [...]} or {"url": ...}}}'


def build_agent_tools(settings: Settings) -> AgentTools | None:
    """The MCP servers of JOBS_MCP_SERVERS_FILE as agent tools, or None without the file."""
    if not settings.servers_file:
        return None
    try:
        servers = parse_servers(Path(settings.servers_file).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidArgument("JOBS_MCP_SERVERS_FILE", SERVERS_EXPECTED, settings.servers_file,
                              reason=exc.strerror) from exc
    except ValueError as exc:
        raise InvalidArgument("JOBS_MCP_SERVERS_FILE", SERVERS_EXPECTED, reason=str(exc)) from exc
    return AgentTools(ConnectionPool(servers), call_timeout_s=settings.tool_timeout_seconds)
