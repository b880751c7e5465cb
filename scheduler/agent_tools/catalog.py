"""What a job's runs may call: its `agent_tools` checked against the configured servers, and per run the
offered tools as the model sees them (`<server>__<tool>`), with the calls that go to their servers.

Rules (docs/agent-tools.md): an entry is `<server>` (every tool of it that is not annotated
destructive) or `<server>/<tool>` (that tool, destructive or not). A server whose `owners` leaves the
job's owner out is not theirs to name. Errors and timeouts of a tool are answered to the model as
error results; a server that cannot be started or reached raises ToolServerUnavailable, which fails
the run (retryable).
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from mcp.shared.exceptions import MCPError
from mcp_types import CallToolResult

from scheduler.agent_tools.pool import ConnectionPool, ToolInfo
from store.errors import InvalidArgument, ToolServerUnavailable

log = logging.getLogger(__name__)
SEP = "__"  # the model sees notes/add_note as notes__add_note
RESULT_CHARS = 10_000  # of a tool's result text, what goes back to the model
DESCRIPTION_CHARS = 1_024
CALL_TIMEOUT_S = 60.0  # per call; the run's timeout_seconds bounds the whole run anyway
EXPECTED = "'<server>' or '<server>/<tool>' of a configured MCP server (agent_tools_available lists them)"
_NOT_NAME = re.compile(r"[^A-Za-z0-9_-]")


@dataclass(frozen=True)
class Offered:
    model_name: str
    server: str
    tool: ToolInfo

    def definition(self) -> dict[str, Any]:
        schema = self.tool.input_schema if self.tool.input_schema.get("type") == "object" else {"type": "object"}
        return {"name": self.model_name, "description": self.tool.description[:DESCRIPTION_CHARS],
                "input_schema": schema}


@dataclass
class RunToolbox:
    """The MCP tools of one run: their definitions for the model and the calls to their servers."""

    pool: ConnectionPool
    call_timeout_s: float
    offered: dict[str, Offered] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # entries not offered, and why (for the trace)

    def definitions(self) -> list[dict[str, Any]]:
        return [o.definition() for o in self.offered.values()]

    def target(self, model_name: str) -> Offered | None:
        return self.offered.get(model_name)

    async def call(self, model_name: str, arguments: dict[str, Any]) -> tuple[bool, str]:
        """(ok, text for the model); ToolServerUnavailable when the server cannot be reached."""
        offered = self.offered[model_name]
        connection = await self.pool.connection(offered.server)
        try:
            result = await connection.call(offered.tool.name, arguments, self.call_timeout_s)
        except TimeoutError:
            return False, f"{model_name}: no answer within {self.call_timeout_s:g} s"
        except MCPError as exc:
            return False, f"{model_name}: error {exc.code}: {exc}"[:RESULT_CHARS]
        return not result.is_error, result_text(result)


class AgentTools:
    """The node's configured MCP servers as agent tools: checks for job fields, listings, run toolboxes."""

    def __init__(self, pool: ConnectionPool, *, call_timeout_s: float = CALL_TIMEOUT_S) -> None:
        self.pool = pool
        self.call_timeout_s = call_timeout_s

    def visible_servers(self, owner: str) -> list[str]:
        return [name for name, spec in self.pool.servers.items() if spec.allows(owner)]

    def check(self, owner: str, names: list[str]) -> list[str]:
        """The entries as stored (duplicates dropped), or InvalidArgument naming the first unusable one."""
        kept: list[str] = []
        for entry in names:
            server, slash, tool = entry.partition("/")
            spec = self.pool.servers.get(server)
            if spec is None or not spec.allows(owner) or (slash and not tool):
                raise InvalidArgument("agent_tools", EXPECTED, entry)
            known = self.pool.known_tools(server) if tool else None
            if known is not None and tool not in {t.name for t in known}:
                raise InvalidArgument("agent_tools", f"a tool of MCP server {server!r} (agent_tools_available "
                                                     "lists them)", entry)
            if entry not in kept:
                kept.append(entry)
        return kept

    async def tools_of(self, server: str) -> list[ToolInfo]:
        return (await self.pool.connection(server)).tools

    async def toolbox(self, owner: str, entries: list[str]) -> RunToolbox:
        """The tools a run of this owner's job may call; connects to each named server first."""
        box = RunToolbox(self.pool, self.call_timeout_s)
        for entry in entries:
            server, _, tool = entry.partition("/")
            spec = self.pool.servers.get(server)
            if spec is None or not spec.allows(owner):  # the operator changed the file since the job was made
                box.notes.append(f"{entry}: not a configured MCP server for this owner; not offered")
                continue
            tools = await self.tools_of(server)
            chosen = [t for t in tools if t.name == tool] if tool else [t for t in tools if not t.destructive]
            if tool and not chosen:
                box.notes.append(f"{entry}: the server has no such tool; not offered")
            for info in chosen:
                name = _model_name(server, info.name)
                if name not in box.offered:
                    box.offered[name] = Offered(name, server, info)
        return box


def _model_name(server: str, tool: str) -> str:
    """`<server>__<tool>` in the characters and length a Messages API tool name allows."""
    return f"{server}{SEP}{_NOT_NAME.sub('_', tool)}"[:64]


def result_text(result: CallToolResult) -> str:
    """The result's text blocks (other kinds named), or its structured content; cut to RESULT_CHARS."""
    parts: list[str] = []
    for block in result.content or []:
        kind = getattr(block, "type", "content")
        parts.append(block.text if kind == "text" else f"[{kind} content omitted]")  # type: ignore[union-attr]
    text = "\n".join(parts)
    if not text and result.structured_content is not None:
        text = json.dumps(result.structured_content, ensure_ascii=False, separators=(",", ":"))
    if len(text) > RESULT_CHARS:
        text = text[:RESULT_CHARS] + f"\n(cut: {len(text)} characters, the first {RESULT_CHARS} shown)"
    return text or "(empty result)"


__all__ = ["AgentTools", "RunToolbox", "Offered", "ToolServerUnavailable", "result_text"]
