"""Slow and idle clients are disconnected by a real `jobs-mcp serve` process (raw sockets)."""

from __future__ import annotations

from collections.abc import Iterator

import anyio
import httpx
import pytest
from anyio.abc import SocketStream

from jobs_mcp.tools_inbox import INBOX_URI
from tests.jobs_mcp.conftest import http_client
from tests.jobs_mcp.test_tools_http import data
from tests.support.serve_process import running_server

pytestmark = pytest.mark.slow

READ_TIMEOUT_S = 1
KEEP_ALIVE_S = 1
# Generous for a loaded machine, and still far below "never": without the deadline these sockets stay open.
BOUND_S = 8 * READ_TIMEOUT_S
PACE_S = 0.2  # a slowloris client's pause between bytes; it also paces the watch for the close


@pytest.fixture(scope="module")
def port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    tmp = tmp_path_factory.mktemp("slow")
    with running_server(f"sqlite:///{tmp / 'jobs.db'}", tmp / "server.log",
                        JOBS_MCP_READ_TIMEOUT_SECONDS=str(READ_TIMEOUT_S),
                        JOBS_MCP_KEEP_ALIVE_SECONDS=str(KEEP_ALIVE_S)) as (url, _process):
        yield int(url.split(":")[2].split("/")[0])


async def _dribble_until_closed(stream: SocketStream, data: bytes, bound_s: float = BOUND_S) -> bytes:
    """Send `data` a byte per PACE_S until the server closes the connection; returns what it answered."""
    answered = b""
    with anyio.fail_after(bound_s):
        while True:
            with anyio.move_on_after(PACE_S):
                try:
                    while True:
                        answered += await stream.receive()
                except (anyio.EndOfStream, anyio.BrokenResourceError, ConnectionResetError):
                    return answered
            if data:
                try:
                    await stream.send(data[:1])
                except (anyio.BrokenResourceError, ConnectionResetError, BrokenPipeError):
                    return answered
                data = data[1:]


HEAD = b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"


@pytest.mark.parametrize("sent", [
    pytest.param(b"", id="silent"),
    pytest.param(HEAD + b"X-Padding: " + b"a" * 200 + b"\r\n", id="headers-a-byte-at-a-time"),
    pytest.param(HEAD + b"Content-Length: 500\r\n\r\n" + b"{" * 500, id="body-a-byte-at-a-time"),
])
async def test_a_slow_client_is_disconnected(port: int, sent: bytes) -> None:
    async with await anyio.connect_tcp("127.0.0.1", port) as stream:
        answered = await _dribble_until_closed(stream, sent)
    assert b"200 OK" not in answered


async def test_hundreds_of_silent_sockets_are_all_closed_and_others_are_served(port: int) -> None:
    streams = [await anyio.connect_tcp("127.0.0.1", port) for _ in range(300)]
    try:
        async with anyio.create_task_group() as group:
            for stream in streams:
                group.start_soon(_dribble_until_closed, stream, b"")
            async with httpx.AsyncClient() as client:
                served = await client.get(f"http://127.0.0.1:{port}/mcp", headers={"Accept": "text/plain"})
        assert served.status_code < 500
    finally:
        for stream in streams:
            await stream.aclose()


async def test_a_kept_alive_connection_that_idles_is_closed(port: int) -> None:
    async with await anyio.connect_tcp("127.0.0.1", port) as stream:
        await stream.send(b"GET /nothing-here HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        # Below our default of 30 s and uvicorn's 5 s, so the setting is what closes it.
        answered = await _dribble_until_closed(stream, b"", bound_s=KEEP_ALIVE_S + 3)
    assert answered.startswith(b"HTTP/1.1 404")


async def test_a_listen_stream_outlives_the_read_timeout(port: int) -> None:
    """The deadline bounds reading requests, never a response: a subscription stays open and hears its event."""
    async with (http_client(f"http://127.0.0.1:{port}/mcp") as client,
                client.listen(resource_subscriptions=[INBOX_URI]) as events):
        async with await anyio.connect_tcp("127.0.0.1", port) as idle:
            await _dribble_until_closed(idle, b"")  # a read timeout has run out on the server meanwhile
        data(await client.call_tool("job_create", {"title": "Ping", "instructions": "ping", "action": "notify"}))
        with anyio.fail_after(30):
            event = await events.__anext__()
    assert event.uri == INBOX_URI
