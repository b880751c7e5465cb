"""Streamable-HTTP sessions expire when idle and are capped in number (the SDK's session manager, our settings)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import anyio.to_thread
import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from jobs_mcp.app import build_app
from jobs_mcp.config import Settings
from jobs_mcp.server import build_http_app, build_server
from scheduler.clock import FakeClock
from tests.jobs_mcp.test_identity import INITIALIZE, LEGACY, TOOLS_LIST, _open_legacy_session
from tests.support.http import serve_in_thread

IDLE_S = 0.5
SESSION_LOG = "mcp.server.streamable_http_manager"


@pytest.fixture
def url(sqlite_url: str, clock: FakeClock) -> Iterator[str]:
    settings = Settings(database_url=sqlite_url, session_idle_seconds=IDLE_S, max_sessions=2)
    state = build_app(settings, clock)
    with serve_in_thread(build_http_app(build_server(state), settings)) as base:
        yield base + "/mcp"
    state.close()


@contextmanager
def expiry_of(session_id: str) -> Iterator[threading.Event]:
    """Set when the session manager reports that `session_id` timed out (its log is the only signal it gives)."""
    expired = threading.Event()

    class Watch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            message = record.getMessage()
            if session_id in message and "idle timeout" in message:
                expired.set()

    logger = logging.getLogger(SESSION_LOG)
    watch, level = Watch(logging.INFO), logger.level
    logger.addHandler(watch)
    logger.setLevel(logging.INFO)
    try:
        yield expired
    finally:
        logger.removeHandler(watch)
        logger.setLevel(level)


def _initialize(url: str) -> httpx.Response:
    return httpx.post(url, headers=LEGACY, json=INITIALIZE)


async def test_an_idle_session_expires_frees_its_place_and_answers_404(url: str) -> None:
    async with (httpx2.AsyncClient(timeout=30) as http,
                Client(streamable_http_client(url, http_client=http), mode="legacy") as connected):
        assert not (await connected.call_tool("job_list", {})).is_error
        idle = _open_legacy_session(url, {})
        with expiry_of(idle) as expired:
            assert httpx.post(url, json=TOOLS_LIST, headers={**LEGACY, "Mcp-Session-Id": idle}).status_code == 200
            refused = _initialize(url)  # two sessions live: the cap
            assert refused.status_code == 503 and "Too many open sessions" in refused.text
            assert await anyio.to_thread.run_sync(expired.wait, 10), "the idle session did not expire"
        gone = httpx.post(url, json=TOOLS_LIST, headers={**LEGACY, "Mcp-Session-Id": idle})
        assert gone.status_code == 404  # the client's cue to initialize again, which now fits under the cap
        assert _initialize(url).status_code == 200
        # A client that keeps its stream open is not idle, however long it waits between calls.
        assert not (await connected.call_tool("job_list", {})).is_error
