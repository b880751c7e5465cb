from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from jobs_mcp.app import App, build_app
from jobs_mcp.config import Settings
from jobs_mcp.server import JobsServer, build_http_app, build_server
from scheduler.clock import FakeClock
from tests.support.http import serve_in_thread

ClientFactory = Callable[..., AbstractAsyncContextManager[Client]]


@pytest.fixture
def settings(sqlite_url: str) -> Settings:
    return Settings(database_url=sqlite_url)


@pytest.fixture
def state(settings: Settings, clock: FakeClock) -> Iterator[App]:
    """The app on the fake clock: its engine is built but only runs when a test ticks it."""
    app = build_app(settings, clock)
    yield app
    app.close()


@pytest.fixture
def server(state: App) -> JobsServer:
    return build_server(state)


@pytest.fixture
def http_url(server: JobsServer, settings: Settings) -> Iterator[str]:
    with serve_in_thread(build_http_app(server, settings)) as base:
        yield base + "/mcp"


def http_client(url: str, headers: dict[str, str] | None = None) -> AbstractAsyncContextManager[Client]:
    @asynccontextmanager
    async def connect() -> AsyncIterator[Client]:
        async with (
            httpx2.AsyncClient(headers=headers or {}, timeout=30) as http,
            Client(streamable_http_client(url, http_client=http)) as client,
        ):
            yield client

    return connect()


@pytest.fixture
def as_owner(http_url: str) -> ClientFactory:
    """as_owner('bob') -> an MCP client over real HTTP whose requests carry X-Jobs-Owner: bob."""

    def factory(owner: str | None = None) -> AbstractAsyncContextManager[Client]:
        return http_client(http_url, {"X-Jobs-Owner": owner} if owner else None)

    return factory
