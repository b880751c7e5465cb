"""SIGKILL after a run was committed but before its webhook got through: the restarted server sends it."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import anyio
import pytest

from tests.jobs_mcp.conftest import http_client
from tests.support.http import free_port
from tests.support.receiver import running_receiver
from tests.support.serve_process import running_server

pytestmark = pytest.mark.slow
SECRET = "crash-test-webhook-secret"


async def _wait_for_run(url: str, job_id: str, timeout_s: float = 30) -> dict[str, object]:
    async with http_client(url) as client:
        with anyio.fail_after(timeout_s):
            while True:
                got = await client.call_tool("job_retrieval_by_id", {"job_id": job_id, "detail": "full"})
                runs = got.structured_content["runs"]  # type: ignore[index]
                if runs and runs[0]["outcome"] == "succeeded":
                    return runs[0]
                await anyio.sleep(0.1)


async def test_webhook_is_sent_after_a_crash_and_restart(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'jobs.db'}"
    log = tmp_path / "server.log"
    hook_port = free_port()  # nothing listens yet: the webhook cannot get through before the kill
    hook_url = f"http://127.0.0.1:{hook_port}/hook"
    env = {"JOBS_MCP_FETCH_ALLOW": "127.0.0.1"}
    with running_server(database, log, **env) as (url, process):
        async with http_client(url) as client:
            created = await client.call_tool("job_create", {
                "title": "Deploy finished", "instructions": "The deploy finished", "action": "notify",
                "webhook_url": hook_url, "webhook_secret": SECRET})
            assert not created.is_error, created.content
            job_id = created.structured_content["job"]["id"]  # type: ignore[index]
        run = await _wait_for_run(url, job_id)
        [hook] = [d for d in run["deliveries"] if d["kind"] == "webhook"]  # type: ignore[union-attr]
        assert hook["status"] in ("pending", "sending")
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    with running_receiver(SECRET, port=hook_port) as receiver, running_server(database, log, **env) as (url, _):
        deadline = time.monotonic() + 30
        while not receiver.accepted and time.monotonic() < deadline:
            await anyio.sleep(0.2)
        await anyio.sleep(1)  # room for a wrong second send to show up
        async with http_client(url) as client:
            got = await client.call_tool("job_retrieval_by_id", {"job_id": job_id, "detail": "full"})
    assert len(receiver.accepted) == 1, receiver.calls
    [body] = receiver.accepted.values()
    assert body["job_id"] == job_id and body["message"].startswith("The deploy finished")
    assert all(call["signed"] for call in receiver.calls)
    deliveries = got.structured_content["runs"][0]["deliveries"]  # type: ignore[index]
    assert [d["status"] for d in deliveries if d["kind"] == "webhook"] == ["delivered"]
