"""`tracker`: a small MCP server over streamable HTTP on loopback, for agent tools tests.

`Tracker.calls` records each call (tool, arguments, the request's Authorization header), in the
test's own process; `serve()` runs it under uvicorn on a free port and yields its /mcp URL.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from mcp.server.mcpserver import Context, MCPServer
from mcp_types import ToolAnnotations

from tests.support.http import serve_in_thread


class Tracker:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.issues: list[str] = []
        self.server = MCPServer("tracker")
        self._register()

    def _record(self, ctx: Context, tool: str, **arguments: Any) -> None:
        request = ctx.request_context.request
        auth = request.headers.get("authorization") if request is not None else None
        self.calls.append({"tool": tool, "arguments": arguments, "authorization": auth})

    def _register(self) -> None:
        @self.server.tool()
        def open_issue(title: str, ctx: Context) -> str:
            """Open an issue in the tracker."""
            self._record(ctx, "open_issue", title=title)
            self.issues.append(title)
            return f"issue #{len(self.issues)} opened"

        @self.server.tool(annotations=ToolAnnotations(read_only_hint=False, destructive_hint=True))
        def close_all(ctx: Context) -> str:
            """Close every issue."""
            self._record(ctx, "close_all")
            self.issues.clear()
            return "closed"

    @contextmanager
    def serve(self) -> Iterator[str]:
        with serve_in_thread(self.server.streamable_http_app(streamable_http_path="/mcp")) as base:
            yield f"{base}/mcp"
