"""Under many clients at once nothing fails (the speed is bench/concurrent_clients.py's to print)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.load import run_clients
from tests.support.serve_process import running_server

pytestmark = pytest.mark.slow


async def test_a_hundred_clients_at_once_all_succeed(tmp_path: Path) -> None:
    with running_server(f"sqlite:///{tmp_path / 'jobs.db'}", tmp_path / "server.log",
                        JOBS_MCP_LOG_LEVEL="WARNING") as (url, _process):
        load = await run_clients(url, clients=100, calls_per_client=3)
    assert load.failures == [], "\n".join(load.failures[:10]) + "\n" + (tmp_path / "server.log").read_text()[-3000:]
    assert load.calls == 300
