"""`notes`: a small MCP server over stdio (`python -m tests.support.mcp_servers.notes`), for agent tools tests.

Every call is appended as one JSON line to the file named by NOTES_LOG (the test reads it: what the
server was asked, with which arguments). `slow` sleeps, `crash` ends the process, `wipe` is annotated
destructive. It prints its pid to stderr at start, so a test can find it and kill it mid-run.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ToolAnnotations

server = MCPServer("notes", instructions="A notebook")
_notes: list[str] = []


def _record(tool: str, **arguments: object) -> None:
    path = os.environ.get("NOTES_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as log:
            log.write(json.dumps({"tool": tool, "arguments": arguments, "pid": os.getpid()}) + "\n")


@server.tool()
def add_note(text: str) -> str:
    """Add a note to the notebook."""
    _record("add_note", text=text)
    _notes.append(text)
    return f"note {len(_notes)} saved"


@server.tool(annotations=ToolAnnotations(read_only_hint=True))
def list_notes() -> str:
    """All notes, one a line."""
    _record("list_notes")
    return "\n".join(_notes) or "(no notes)"


@server.tool()
async def slow(seconds: float) -> str:
    """Wait, then answer."""
    _record("slow", seconds=seconds)
    await asyncio.sleep(seconds)
    return "done waiting"


@server.tool()
def fail(reason: str) -> str:
    """Always fails."""
    _record("fail", reason=reason)
    raise ToolError(f"cannot: {reason}")


@server.tool()
def big(chars: int) -> str:
    """A long answer."""
    _record("big", chars=chars)
    return "x" * chars


@server.tool()
def crash() -> str:
    """End the server process at once."""
    _record("crash")
    os._exit(3)


@server.tool(annotations=ToolAnnotations(read_only_hint=False, destructive_hint=True))
def wipe() -> str:
    """Delete every note."""
    _record("wipe")
    _notes.clear()
    return "all notes deleted"


if __name__ == "__main__":
    print(f"notes server pid {os.getpid()}", file=sys.stderr, flush=True)
    server.run("stdio")
