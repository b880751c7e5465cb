"""Host/Origin validation (DNS rebinding) on every bind address, over real HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from jobs_mcp.app import build_app
from jobs_mcp.config import Settings, load_settings
from jobs_mcp.http_guard import parse_public_host
from jobs_mcp.server import build_http_app, build_server
from scheduler.clock import FakeClock
from store.errors import InvalidArgument
from tests.jobs_mcp.test_identity import INITIALIZE, LEGACY
from tests.support.http import serve_in_thread


@pytest.fixture
def open_server(sqlite_url: str, clock: FakeClock) -> Iterator[tuple[str, int]]:
    """Bound to every address, without a tokens file, with one public name: the setup that was open."""
    settings = Settings(database_url=sqlite_url, host="0.0.0.0", public_hosts=("jobs.example.com",))
    state = build_app(settings, clock)
    with serve_in_thread(build_http_app(build_server(state), settings), host="0.0.0.0") as base:
        port = int(base.rsplit(":", 1)[1])
        yield f"http://127.0.0.1:{port}/mcp", port
    state.close()


def _post(url: str, **headers: str) -> httpx.Response:
    return httpx.post(url, json=INITIALIZE, headers={**LEGACY, **headers})


def test_foreign_host_or_origin_is_refused_with_one_json_line(open_server: tuple[str, int]) -> None:
    url, port = open_server
    for headers, named in (({"Host": "rebind.attacker.test"}, "Host 'rebind.attacker.test'"),
                           ({"Host": f"rebind.attacker.test:{port}", "X-Jobs-Owner": "alice"}, "Host"),
                           ({"Host": f"localhost.attacker.test:{port}"}, "Host"),
                           ({"Host": "jobs.example.com.attacker.test"}, "Host"),
                           ({"Origin": "http://rebind.attacker.test"}, "Origin 'http://rebind.attacker.test'"),
                           ({"Origin": f"http://rebind.attacker.test:{port}"}, "Origin"),
                           ({"Origin": "null"}, "Origin")):
        answer = _post(url, **headers)
        assert answer.status_code == 403, headers
        assert "\n" not in answer.text and answer.headers["content-type"] == "application/json"
        error = json.loads(answer.text)["error"]
        assert error.startswith(f"unauthorized: {named}") and "JOBS_MCP_PUBLIC_HOSTS" in error
    # Every path, not only /mcp.
    assert httpx.get(url.replace("/mcp", "/"), headers={"Host": "rebind.attacker.test"}).status_code == 403


def test_loopback_and_public_names_are_served(open_server: tuple[str, int]) -> None:
    url, port = open_server
    for headers in ({}, {"Host": f"localhost:{port}"}, {"Host": f"[::1]:{port}"}, {"Host": "localhost"},
                    {"Host": "jobs.example.com"}, {"Host": "jobs.example.com:443"},
                    {"Origin": f"http://localhost:{port}"}, {"Origin": "https://jobs.example.com"},
                    {"Host": "jobs.example.com", "Origin": "https://jobs.example.com"}):
        answer = _post(url, **headers)
        assert answer.status_code == 200, (headers, answer.text)


def test_public_host_entries() -> None:
    assert parse_public_host("Jobs.Example.com") == "jobs.example.com"
    assert parse_public_host("jobs.example.com:8443") == "jobs.example.com:8443"
    assert parse_public_host("203.0.113.7") == "203.0.113.7"
    assert parse_public_host("[2001:db8::1]:7803") == "[2001:db8::1]:7803"
    for bad in ("*", "*.example.com", "https://jobs.example.com", "jobs.example.com/mcp", "[zz::1]", "2001:db8::1",
                "jobs.example.com:0", "jobs.example.com:70000", "exa mple.com", ""):
        with pytest.raises(ValueError):
            parse_public_host(bad)


def test_a_bad_public_host_setting_names_the_variable() -> None:
    settings = load_settings({"JOBS_MCP_PUBLIC_HOSTS": "Jobs.Example.com, [::1]:8080"})
    assert settings.public_hosts == ("jobs.example.com", "[::1]:8080")
    with pytest.raises(InvalidArgument, match="JOBS_MCP_PUBLIC_HOSTS.*wildcards"):
        load_settings({"JOBS_MCP_PUBLIC_HOSTS": "jobs.example.com,*"})
