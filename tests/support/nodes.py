"""Real server processes for the engine's integration tests, and a direct view of their database."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from store.enums import JobStatus
from store.ids import new_job_id
from store.models import Job, JobEvent
from store.repository import JobRepository
from tests.support.http import free_port

ROOT = Path(__file__).resolve().parents[2]


class Node:
    def __init__(self, process: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
        self.process, self.port, self.log_path = process, port, log_path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/mcp"

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def terminate(self, timeout_s: float = 30) -> bool:
        """SIGTERM; True if the node shut down by itself (uvicorn re-raises the signal after a
        graceful shutdown, so -SIGTERM is a clean exit too)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=timeout_s)
        return code in (0, -signal.SIGTERM) and "Traceback" not in self.log()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


# A node is ready when it answers HTTP: uvicorn binds its port only after the app's startup (store,
# schema, engine) is done. The bound is generous because on a loaded 2-core machine (a full suite
# beside other work) a start took more than 30 s; a node that dies says so at once instead.
START_TIMEOUT_S = float(os.environ.get("JOBS_TEST_NODE_START_S", "180"))


def start_node(database_url: str, log_dir: Path, *, name: str, env: dict[str, str] | None = None,
               command: Sequence[str] | None = None) -> Node:
    """Start a server on a free port; returns once it answers an HTTP request (at most START_TIMEOUT_S)."""
    port = free_port()
    full_env = {**os.environ, "JOBS_MCP_DATABASE_URL": database_url, "JOBS_MCP_PORT": str(port),
                "JOBS_MCP_LOG_LEVEL": "WARNING", **(env or {})}
    log_path = log_dir / f"{name}.log"
    argv = list(command or [sys.executable, "-m", "tests.support.engine_server"])
    with log_path.open("wb") as log:
        process = subprocess.Popen(argv, cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT)
    node = Node(process, port, log_path)
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"node {name} exited with {process.returncode}:\n{node.log()}")
        if _answers_http(port):
            return node
        if time.monotonic() > deadline:
            node.kill()
            raise RuntimeError(f"node {name} did not answer within {START_TIMEOUT_S} s:\n{node.log()}")
        time.sleep(0.05)


def _answers_http(port: int) -> bool:
    """Any HTTP answer (a GET without a session is refused with a 4xx) means the app is serving."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", "/mcp", headers={"Host": f"127.0.0.1:{port}"})
        return connection.getresponse().status > 0
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()


@contextmanager
def running_nodes(nodes: list[Node]) -> Iterator[list[Node]]:
    try:
        yield nodes
    finally:
        for node in nodes:
            if node.process.poll() is None:
                node.kill()


def insert_reminders(repo: JobRepository, fires: Sequence[datetime], owner: str = "load") -> list[str]:
    """ONE_OFF notify jobs at `fires`, written in one transaction (the service would take minutes on 2,000)."""
    now = datetime.now(UTC)
    jobs = [Job(id=new_job_id(), owner=owner, title=f"reminder {n}", instructions=f"reminder {n}",
                job_type="ONE_OFF", action="notify", run_at=fire, timezone="UTC", status=JobStatus.ACTIVE.value,
                next_run_at=fire, created_at=now, updated_at=now) for n, fire in enumerate(fires)]
    with repo.write() as session:
        session.add_all(jobs)
        session.add_all([JobEvent(job_id=j.id, owner=owner, at=now, to_status=j.status, actor="test") for j in jobs])
    return [job.id for job in jobs]


def spread(count: int, start_in_s: float, over_s: float) -> list[datetime]:
    base = datetime.now(UTC) + timedelta(seconds=start_in_s)
    return [base + timedelta(seconds=over_s * n / max(count - 1, 1)) for n in range(count)]


def scalar(engine: Engine, sql: str, **params: Any) -> Any:
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


def rows(engine: Engine, sql: str, **params: Any) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(text(sql), params).all())


def wait_until(predicate: Any, timeout_s: float, what: str, poll_s: float = 0.1) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(poll_s)
