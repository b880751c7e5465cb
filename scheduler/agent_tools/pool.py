"""Live connections to the configured MCP servers, one per server per node, shared by every run.

A connection is opened on first use (and at start, in the background, so the tool lists are known
early), reused across runs, and opened again when it died: a stdio server that exited, an HTTP
server that went away. Each connection is held by its own task, which enters and leaves the SDK
client (its cancel scopes must be left in the task that entered them); runs call tools through it
from their own tasks. A stdio server's stderr goes to this module's log, line by line.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import IO, Any

from mcp import Client
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp.shared.exceptions import MCPError
from mcp_types import CONNECTION_CLOSED, CallToolResult, Tool

from scheduler.agent_tools.servers import ServerSpec
from store.errors import ToolServerUnavailable

log = logging.getLogger(__name__)
CONNECT_TIMEOUT_S = 30.0  # a server that is not up by then fails the run (retryable) instead of holding it
LIST_PAGES_MAX = 20
CLOSE_WAIT_S = 10.0


@dataclass(frozen=True)
class ToolInfo:
    """One tool of a server as its tools/list gave it."""

    name: str
    description: str
    input_schema: dict[str, Any]
    destructive: bool  # annotated destructiveHint (and not read-only): offered only when named one by one

    @classmethod
    def of(cls, tool: Tool) -> ToolInfo:
        notes = tool.annotations
        destructive = bool(notes and notes.destructive_hint and not notes.read_only_hint)
        schema = dict(tool.input_schema) if tool.input_schema else {"type": "object"}
        return cls(tool.name, tool.description or "", schema, destructive)


class Connection:
    """One live client session to one server, held open by a task until closed or dead."""

    def __init__(self, spec: ServerSpec) -> None:
        self.spec = spec
        self.client: Client | None = None
        self.tools: list[ToolInfo] = []
        self.error: str | None = None
        self._ready = asyncio.Event()
        self._close = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def alive(self) -> bool:
        return self.client is not None and self._task is not None and not self._task.done()

    async def open(self, timeout_s: float) -> None:
        self._task = asyncio.create_task(self._hold(), name=f"mcp server {self.spec.name}")
        try:
            await asyncio.wait_for(self._ready.wait(), timeout_s)
        except TimeoutError:
            await self.close()
            raise ToolServerUnavailable(self.spec.name, f"not connected within {timeout_s:g} s") from None
        if self.client is None:
            raise ToolServerUnavailable(self.spec.name, self.error or "connection failed")

    async def close(self) -> None:
        self._close.set()
        task = self._task
        if task is not None and not task.done():
            try:  # a holder still connecting exits once connected: _close is set
                await asyncio.wait_for(asyncio.shield(task), CLOSE_WAIT_S)
            except TimeoutError:
                task.cancel()  # the SDK's exit still ends the subprocess; wait for it, so none outlives the node
                await asyncio.wait([task], timeout=CLOSE_WAIT_S)
        self.client = None

    async def call(self, tool: str, arguments: dict[str, Any], timeout_s: float) -> CallToolResult:
        """The tool's result; TimeoutError past `timeout_s`; ToolServerUnavailable when the connection dies."""
        client = self.client
        if client is None:
            raise ToolServerUnavailable(self.spec.name, self.error or "not connected")
        try:
            async with asyncio.timeout(timeout_s):
                return await client.call_tool(tool, arguments)
        except MCPError as exc:
            if exc.code == CONNECTION_CLOSED:
                await self._lost("connection lost during a call")
                raise ToolServerUnavailable(self.spec.name, "connection lost during a call") from exc
            raise
        except (TimeoutError, asyncio.CancelledError):
            raise
        except Exception as exc:  # noqa: BLE001  (the transport failed: an HTTP server gone, a broken pipe)
            cause = _describe(exc)
            await self._lost(cause)
            raise ToolServerUnavailable(self.spec.name, cause) from exc

    async def _lost(self, cause: str) -> None:
        """The connection is dead: close it, so the next use opens a new one."""
        self.error = cause
        await self.close()

    async def _hold(self) -> None:
        errlog: IO[str] | None = None
        try:
            async with AsyncExitStack() as stack:
                if self.spec.command:
                    errlog = _stderr_to_log(self.spec.name)
                client = Client(await _transport(self.spec, stack, errlog), raise_exceptions=False)
                await stack.enter_async_context(client)
                if errlog is not None:
                    errlog.close()  # the child has its own copy; its end of the pipe now closes with it
                    errlog = None
                self.tools = await _list_tools(client)
                self.client = client
                self._ready.set()
                log.info("MCP server %s connected (%s, %d tools)", self.spec.name, self.spec.transport,
                         len(self.tools))
                await self._close.wait()
        except Exception as exc:  # noqa: BLE001  (a server that fails is reported, never raised into the node)
            self.error = _describe(exc)
            log.warning("MCP server %s: %s", self.spec.name, self.error)
        finally:
            self.client = None
            if errlog is not None:
                errlog.close()
            self._ready.set()


class ConnectionPool:
    """The node's connections by server name; a component of the app (start, stop)."""

    def __init__(self, servers: Mapping[str, ServerSpec], *, connect_timeout_s: float = CONNECT_TIMEOUT_S) -> None:
        self.servers = dict(servers)
        self.connect_timeout_s = connect_timeout_s
        self._connections: dict[str, Connection] = {}
        self._locks = {name: asyncio.Lock() for name in self.servers}
        self._warm: list[asyncio.Task[Any]] = []
        self._stopped = False

    async def start(self) -> None:
        """Connect to every server in the background: tool lists are known early, and start never waits."""
        self._stopped = False
        self._warm = [asyncio.create_task(self._quietly(name)) for name in self.servers]

    async def stop(self) -> None:
        self._stopped = True
        for task in self._warm:
            task.cancel()
        await asyncio.gather(*self._warm, return_exceptions=True)
        connections, self._connections = list(self._connections.values()), {}
        await asyncio.gather(*(c.close() for c in connections), return_exceptions=True)

    def known_tools(self, server: str) -> list[ToolInfo] | None:
        """The server's tools from its live connection, or None when not connected (nothing is awaited)."""
        connection = self._connections.get(server)
        return connection.tools if connection is not None and connection.alive else None

    async def connection(self, server: str) -> Connection:
        """The server's live connection, opened (again) when there is none; ToolServerUnavailable if it cannot be."""
        if server not in self.servers:
            raise ToolServerUnavailable(server, "not configured")
        async with self._locks[server]:
            current = self._connections.get(server)
            if current is not None and current.alive:
                return current
            if self._stopped:
                raise ToolServerUnavailable(server, "the node is shutting down")
            if current is not None:
                log.info("MCP server %s: connection dead (%s), reconnecting", server, current.error or "closed")
                await current.close()
            fresh = Connection(self.servers[server])
            self._connections[server] = fresh
            await fresh.open(self.connect_timeout_s)
            return fresh

    async def _quietly(self, server: str) -> None:
        try:
            await self.connection(server)
        except ToolServerUnavailable as exc:
            log.warning("%s", exc.message)


async def _transport(spec: ServerSpec, stack: AsyncExitStack, errlog: IO[str] | None) -> Any:
    if spec.command:
        params = StdioServerParameters(command=spec.command, args=list(spec.args), env=spec.env or None,
                                       cwd=spec.cwd)
        return stdio_client(params, errlog=errlog) if errlog is not None else stdio_client(params)
    http = await stack.enter_async_context(create_mcp_http_client(headers=spec.headers or None))
    return streamable_http_client(spec.url or "", http_client=http)


async def _list_tools(client: Client) -> list[ToolInfo]:
    tools: list[ToolInfo] = []
    cursor: str | None = None
    for _ in range(LIST_PAGES_MAX):
        page = await client.list_tools(cursor=cursor)
        tools.extend(ToolInfo.of(t) for t in page.tools)
        cursor = page.next_cursor
        if not cursor:
            break
    return tools


def _stderr_to_log(server: str) -> IO[str]:
    """A pipe for the server's stderr: a thread logs each line until the server closes its end."""
    read_fd, write_fd = os.pipe()
    reader = os.fdopen(read_fd, "r", encoding="utf-8", errors="replace")

    def pump() -> None:
        with reader:
            for line in reader:
                if line.strip():
                    log.info("MCP server %s stderr: %s", server, line.rstrip())

    threading.Thread(target=pump, name=f"mcp stderr {server}", daemon=True).start()
    return os.fdopen(write_fd, "w", encoding="utf-8")


def _describe(exc: BaseException) -> str:
    """The cause in one line: the innermost error of an exception group, without a traceback."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}"[:300] if text else type(exc).__name__
