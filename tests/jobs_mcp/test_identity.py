"""Who is calling: loopback-only without tokens, bearer tokens and platform tokens with them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp_types.version import LATEST_HANDSHAKE_VERSION

from jobs_mcp.app import build_app
from jobs_mcp.config import Settings
from jobs_mcp.identity import OwnerMiddleware, TokenTable
from jobs_mcp.server import build_http_app, build_server
from scheduler.clock import FakeClock
from store.errors import InvalidArgument
from tests.jobs_mcp.conftest import http_client
from tests.support.http import serve_in_thread

TOKENS = "# token owner\nalice-secret alice\nbob-secret bob\nplatform-secret *\n"


@pytest.fixture
def tokens_url(tmp_path: Path, sqlite_url: str, clock: FakeClock) -> Iterator[str]:
    path = tmp_path / "tokens"
    path.write_text(TOKENS)
    settings = Settings(database_url=sqlite_url, tokens_file=str(path))
    app = build_app(settings, clock)
    with serve_in_thread(build_http_app(build_server(app), settings)) as base:
        yield base + "/mcp"
    app.close()


async def _titles(url: str, headers: dict[str, str]) -> list[str]:
    async with http_client(url, headers) as client:
        result = await client.call_tool("job_list", {})
    assert not result.is_error
    return [j["title"] for j in result.structured_content["jobs"]]  # type: ignore[index]


async def _create(url: str, headers: dict[str, str], title: str) -> None:
    async with http_client(url, headers) as client:
        result = await client.call_tool("job_create", {"title": title, "instructions": "x", "cron": "0 9 * * *"})
    assert not result.is_error, result.content


def test_request_without_token_is_refused(tokens_url: str) -> None:
    body = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic alice-secret"}):
        answer = httpx.post(tokens_url, json=body, headers=headers)
        assert answer.status_code == 401
        assert answer.json()["error"].startswith("unauthorized:")


async def test_tokens_map_to_owners(tokens_url: str) -> None:
    await _create(tokens_url, {"Authorization": "Bearer alice-secret"}, "alice's job")
    assert await _titles(tokens_url, {"Authorization": "Bearer alice-secret"}) == ["alice's job"]
    assert await _titles(tokens_url, {"Authorization": "Bearer bob-secret"}) == []
    # A platform token acts for the owner it names, and only for that owner.
    assert await _titles(tokens_url, {"Authorization": "Bearer platform-secret", "X-Jobs-Owner": "alice"}) == [
        "alice's job"]
    assert await _titles(tokens_url, {"Authorization": "Bearer platform-secret", "X-Jobs-Owner": "carol"}) == []


def test_user_token_cannot_name_another_owner(tokens_url: str) -> None:
    answer = httpx.post(tokens_url, json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
                        headers={"Authorization": "Bearer bob-secret", "X-Jobs-Owner": "alice"})
    assert answer.status_code == 403


def test_platform_token_must_name_the_owner(tokens_url: str) -> None:
    answer = httpx.post(tokens_url, json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
                        headers={"Authorization": "Bearer platform-secret"})
    assert answer.status_code == 401 and "X-Jobs-Owner" in answer.json()["error"]


def _scope(client_host: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    raw = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    return {"type": "http", "client": (client_host, 5555), "headers": raw}


def _resolve(middleware: OwnerMiddleware, scope: dict[str, Any]) -> tuple[str | None, int]:
    headers = {k: v.decode() for k, v in scope["headers"]}
    owner, status, _ = middleware.resolve(scope, headers)
    return owner, status


def test_without_tokens_only_loopback_is_served() -> None:
    middleware = OwnerMiddleware(app=None, tokens=None)  # type: ignore[arg-type]
    assert _resolve(middleware, _scope("127.0.0.1")) == ("local", 200)
    assert _resolve(middleware, _scope("::1", {"X-Jobs-Owner": "dana"})) == ("dana", 200)
    assert _resolve(middleware, _scope("192.168.1.20")) == (None, 403)
    assert _resolve(middleware, _scope("127.0.0.1", {"X-Jobs-Owner": "bad owner!"})) == (None, 400)


def test_malformed_tokens_file_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "tokens"
    path.write_text("good alice\njust-a-token\n")
    with pytest.raises(InvalidArgument, match="line 2"):
        TokenTable.load(str(path))


LEGACY = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json",
          "MCP-Protocol-Version": LATEST_HANDSHAKE_VERSION}
TOOLS_LIST = {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}
INITIALIZE = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
              "params": {"protocolVersion": LATEST_HANDSHAKE_VERSION, "capabilities": {},
                         "clientInfo": {"name": "test", "version": "0"}}}


def _open_legacy_session(url: str, headers: dict[str, str]) -> str:
    """initialize + initialized over the 2025 wire, the one with session ids; returns the session id."""
    opened = httpx.post(url, json=INITIALIZE, headers={**LEGACY, **headers})
    assert opened.status_code == 200, opened.text
    session_id = opened.headers["mcp-session-id"]
    initialized = httpx.post(url, json={"jsonrpc": "2.0", "method": "notifications/initialized"},
                             headers={**LEGACY, **headers, "Mcp-Session-Id": session_id})
    assert initialized.status_code == 202
    return session_id


def test_a_session_answers_only_the_owner_that_opened_it(tokens_url: str) -> None:
    session_id = _open_legacy_session(tokens_url, {"Authorization": "Bearer alice-secret"})
    for strangers in ({"Authorization": "Bearer bob-secret"},
                      {"Authorization": "Bearer platform-secret", "X-Jobs-Owner": "bob"}):
        headers = {**LEGACY, **strangers, "Mcp-Session-Id": session_id}
        assert httpx.post(tokens_url, json=TOOLS_LIST, headers=headers).status_code == 404
        assert httpx.get(tokens_url, headers={**headers, "Accept": "text/event-stream"}).status_code == 404
        assert httpx.delete(tokens_url, headers=headers).status_code == 404
    # Still alice's, for any of her credentials; she can end it, and then it is gone.
    for alice in ({"Authorization": "Bearer alice-secret"},
                  {"Authorization": "Bearer platform-secret", "X-Jobs-Owner": "alice"}):
        listed = httpx.post(tokens_url, json=TOOLS_LIST, headers={**LEGACY, **alice, "Mcp-Session-Id": session_id})
        assert listed.status_code == 200 and "job_create" in listed.text
    alices = {**LEGACY, "Authorization": "Bearer alice-secret", "Mcp-Session-Id": session_id}
    assert httpx.delete(tokens_url, headers=alices).status_code == 200
    assert httpx.post(tokens_url, json=TOOLS_LIST, headers=alices).status_code == 404
