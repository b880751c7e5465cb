"""Start the real `jobs-mcp serve` command as a child process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from tests.support.http import free_port

JOBS_MCP = str(Path(sys.executable).with_name("jobs-mcp"))


def server_env(database_url: str, port: int, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JOBS_MCP_", "ANTHROPIC_"))}
    env.update({"JOBS_MCP_DATABASE_URL": database_url, "JOBS_MCP_PORT": str(port), "HF_HUB_OFFLINE": "1"})
    env.update(extra)
    return env


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"jobs-mcp exited with {process.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"jobs-mcp did not listen on {port} within {timeout_s} s")


@contextmanager
def running_server(
    database_url: str, log_path: Path, *, command: Sequence[str] = (JOBS_MCP, "serve"), cwd: Path | None = None,
    **extra_env: str,
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A `jobs-mcp serve` process (or `command`) on a free port; yields (MCP URL, process) and stops it
    afterwards."""
    port = free_port()
    with open(log_path, "ab") as log:
        process = subprocess.Popen(list(command), env=server_env(database_url, port, **extra_env), cwd=cwd,
                                   stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}/mcp", process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
