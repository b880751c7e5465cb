"""One owner may hold at most JOBS_MCP_MAX_SESSIONS_PER_OWNER live MCP sessions; the others keep theirs."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager

from jobs_mcp.app import build_app
from jobs_mcp.config import Settings
from jobs_mcp.server import build_http_app, build_server
from scheduler.clock import FakeClock
from tests.jobs_mcp.test_identity import INITIALIZE, LEGACY, TOOLS_LIST, _open_legacy_session
from tests.support.http import serve_in_thread


@pytest.fixture
def url(sqlite_url: str, clock: FakeClock) -> Iterator[str]:
    settings = Settings(database_url=sqlite_url, max_sessions=10, max_sessions_per_owner=2)
    state = build_app(settings, clock)
    with serve_in_thread(build_http_app(build_server(state), settings)) as base:
        yield base + "/mcp"
    state.close()


def _as(owner: str) -> dict[str, str]:
    return {"X-Jobs-Owner": owner}


def test_an_owner_at_the_cap_is_refused_while_other_owners_still_connect(url: str) -> None:
    first = _open_legacy_session(url, _as("alice"))
    _open_legacy_session(url, _as("alice"))
    refused = httpx.post(url, json=INITIALIZE, headers={**LEGACY, **_as("alice")})
    assert refused.status_code == 503
    assert _open_legacy_session(url, _as("bob"))  # alice's sessions do not count against bob
    # The refusal ended nothing: alice's sessions still answer.
    assert httpx.post(url, json=TOOLS_LIST, headers={**LEGACY, **_as("alice"), "Mcp-Session-Id": first}).status_code \
        == 200


def test_an_ended_session_frees_its_owners_place(url: str) -> None:
    first = _open_legacy_session(url, _as("carol"))
    _open_legacy_session(url, _as("carol"))
    assert httpx.delete(url, headers={**LEGACY, **_as("carol"), "Mcp-Session-Id": first}).status_code == 200
    assert _open_legacy_session(url, _as("carol"))


def test_the_sdk_still_admits_sessions_where_the_cap_hooks_in() -> None:
    """The cap wraps private parts of the SDK's session manager; an SDK upgrade that moves them fails here."""
    manager = StreamableHTTPSessionManager(app=object())  # type: ignore[arg-type]
    assert callable(manager._admit_session)
    assert isinstance(manager._session_owners, dict) and isinstance(manager._server_instances, dict)
