"""The real `jobs-mcp serve` command, over streamable HTTP and over stdio."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from tests.jobs_mcp.conftest import http_client
from tests.support.serve_process import JOBS_MCP, running_server, server_env

pytestmark = pytest.mark.slow


async def test_serve_over_http_keeps_jobs_across_restarts(tmp_path: Path) -> None:
    url_db = f"sqlite:///{tmp_path / 'jobs.db'}"
    log = tmp_path / "server.log"
    with running_server(url_db, log) as (url, _process):
        async with http_client(url) as client:
            created = await client.call_tool("job_create", {"title": "Water the plants", "instructions": "x",
                                                            "cron": "0 8 * * 6", "timezone": "Europe/Berlin"})
            assert not created.is_error, created.content
            job_id = created.structured_content["job"]["id"]  # type: ignore[index]
    with running_server(url_db, log) as (url, _process):
        async with http_client(url) as client:
            got = await client.call_tool("job_retrieval_by_id", {"job_id": job_id})
    assert not got.is_error
    assert got.structured_content["job"]["schedule_summary"].startswith("Every Saturday at 08:00")  # type: ignore[index]


async def test_serve_over_stdio(tmp_path: Path) -> None:
    env = server_env(f"sqlite:///{tmp_path / 'jobs.db'}", 7803)
    params = StdioServerParameters(command=JOBS_MCP, args=["serve", "--transport", "stdio"], env=env)
    async with Client(params) as client:
        created = await client.call_tool("job_create", {"title": "Stretch", "instructions": "Stand up",
                                                        "interval_seconds": 3600, "action": "notify"})
        assert not created.is_error, created.content
        listed = await client.call_tool("job_list", {})
    assert [j["title"] for j in listed.structured_content["jobs"]] == ["Stretch"]  # type: ignore[index]


def test_help_shows_every_flag_with_its_variable() -> None:
    out = subprocess.run([JOBS_MCP, "serve", "--help"], capture_output=True, text=True, check=True).stdout
    for variable in ("JOBS_MCP_HOST", "JOBS_MCP_PORT", "JOBS_MCP_DATABASE_URL", "JOBS_MCP_TIMEZONE",
                     "JOBS_MCP_TOKENS_FILE", "JOBS_MCP_FETCH_ALLOW", "JOBS_MCP_MODEL", "JOBS_MCP_JUDGE_MODEL",
                     "ANTHROPIC_BASE_URL", "JOBS_MCP_MAX_CONCURRENT_RUNS", "JOBS_MCP_MIN_INTERVAL_SECONDS",
                     "JOBS_MCP_PUBLIC_HOSTS", "JOBS_MCP_READ_TIMEOUT_SECONDS", "JOBS_MCP_KEEP_ALIVE_SECONDS",
                     "JOBS_MCP_SESSION_IDLE_SECONDS", "JOBS_MCP_MAX_SESSIONS"):
        assert variable in out


def test_bad_configuration_is_a_clear_error(tmp_path: Path) -> None:
    env = server_env(f"sqlite:///{tmp_path / 'jobs.db'}", 7803, JOBS_MCP_TIMEZONE="Mars/Olympus")
    done = subprocess.run([JOBS_MCP, "serve"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "JOBS_MCP_TIMEZONE" in done.stderr and "Traceback" not in done.stderr
    flag = subprocess.run([JOBS_MCP, "serve", "--fetch-allow", "10.0.0.0/33"], env=env, capture_output=True,
                          text=True, timeout=60)
    assert flag.returncode != 0 and "--fetch-allow" in flag.stderr and "Traceback" not in flag.stderr
