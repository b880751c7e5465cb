"""`jobs-mcp serve` refuses unusable configuration with one clear line, run as the real command."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.support.serve_process import JOBS_MCP, server_env


def refused(tmp_path: Path, *args: str, database_url: str | None = None, **env: str) -> str:
    """Run `jobs-mcp serve` expecting it to stop at once; the last line of its stderr (asserted to be the gist)."""
    url = database_url or f"sqlite:///{tmp_path / 'jobs.db'}"
    done = subprocess.run([JOBS_MCP, "serve", *args], env=server_env(url, 7803, **env), capture_output=True,
                          text=True, timeout=60)
    assert done.returncode != 0, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    return done.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize(("value", "why"), [
    ("*", "wildcards are not supported"), ("ok.example,*.corp.example", "wildcards are not supported"),
    ("http://intranet.example", "not a host name"), ("10.1.2.3/8", "write the network as 10.0.0.0/8"),
])
def test_a_bad_fetch_allow_entry_stops_the_server_naming_the_variable(tmp_path: Path, value: str, why: str) -> None:
    line = refused(tmp_path, JOBS_MCP_FETCH_ALLOW=value)
    assert line.startswith("Error: --fetch-allow / JOBS_MCP_FETCH_ALLOW: ") and why in line


def test_the_flag_is_checked_like_its_variable(tmp_path: Path) -> None:
    line = refused(tmp_path, "--fetch-allow", "*")
    assert line.startswith("Error: --fetch-allow / JOBS_MCP_FETCH_ALLOW: ") and "wildcards" in line
