"""The log of a real `jobs-mcp serve --log-format json` on its first start (the model is prepared then)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.jobs_mcp.conftest import http_client
from tests.support.serve_process import JOBS_MCP, running_server

pytestmark = pytest.mark.slow


def _lines(log: Path) -> list[dict[str, Any]]:
    """Every line of the server's output as JSON (json.loads fails the test on any other line)."""
    return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]


def _wait_for(log: Path, found: Any, timeout_s: float) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        lines = _lines(log)
        if any(found(line) for line in lines):
            return lines
        time.sleep(0.2)
    raise AssertionError(f"not logged within {timeout_s} s:\n{log.read_text()[-3000:]}")


async def test_first_start_logs_json_lines_for_start_model_and_each_run(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    # A fresh cache: this is the node's first start, so the model is exported (in a child process).
    with running_server(f"sqlite:///{tmp_path / 'jobs.db'}", log, command=(JOBS_MCP, "serve", "--log-format", "json"),
                        XDG_CACHE_HOME=str(tmp_path / "cache"), JOBS_MCP_LEASE_SECONDS="3") as (url, _process):
        async with http_client(url) as client:
            at = (datetime.now(UTC) + timedelta(seconds=2)).isoformat()
            created = await client.call_tool("job_create", {"title": "Stretch", "instructions": "Stand up",
                                                            "run_at": at, "action": "notify"})
        assert not created.is_error, created.content
        job_id = created.structured_content["job"]["id"]  # type: ignore[index]
        _wait_for(log, lambda line: line.get("job_id") == job_id and "run_id" in line, 60)
        lines = _wait_for(log, lambda line: line["message"] == "encoder ready", 600)
    start = next(line for line in lines if line["message"].startswith("jobs-mcp serving"))
    assert start["address"].startswith("http://127.0.0.1:") and start["database"].startswith("sqlite:///")
    assert start["model"] == "to be prepared" and start["level"] == "INFO"
    run = next(line for line in lines if line.get("job_id") == job_id and "run_id" in line)
    assert run["outcome"] == "succeeded" and run["level"] == "INFO" and "duration_s" in run and "cost_usd" in run
    preparing = [line for line in lines if line["message"].startswith("preparing the search model")]
    assert len(preparing) == 1
    # Only our own loggers speak at INFO: no scheduler heartbeat, no torch/ONNX warnings.
    assert not [line for line in lines if line["logger"].startswith("apscheduler")]
    assert all(line["logger"].split(".")[0] in ("jobs_mcp", "scheduler", "store", "mcp", "uvicorn")
               for line in lines), {line["logger"] for line in lines}
    assert list((tmp_path / "cache").rglob("*.onnx"))
