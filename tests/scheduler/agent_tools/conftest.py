"""Real MCP servers for the agent tools tests: `notes` over stdio (a subprocess), `tracker` over streamable HTTP."""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from scheduler.agent_tools.catalog import AgentTools
from scheduler.agent_tools.pool import ConnectionPool
from scheduler.agent_tools.servers import parse_servers
from tests.support.mcp_servers.tracker import Tracker

ROOT = str(Path(__file__).resolve().parents[3])
TRACKER_TOKEN = "Bearer tracker-secret"


@dataclass
class Servers:
    file: Path  # the servers file, as an operator writes it
    notes_log: Path  # one JSON line per call the notes server was asked
    tracker: Tracker

    def notes_calls(self) -> list[dict[str, Any]]:
        if not self.notes_log.exists():
            return []
        return [json.loads(line) for line in self.notes_log.read_text().splitlines()]


def notes_entry(log: Path, **extra: Any) -> dict[str, Any]:
    return {"command": sys.executable, "args": ["-m", "tests.support.mcp_servers.notes"], "cwd": ROOT,
            "env": {"NOTES_LOG": str(log), "PYTHONPATH": ROOT}, **extra}


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[Servers]:
    tracker = Tracker()
    with tracker.serve() as url:
        log = tmp_path / "notes.jsonl"
        document = {"mcpServers": {
            "notes": notes_entry(log),
            "tracker": {"url": url, "headers": {"Authorization": TRACKER_TOKEN}, "owners": ["alice"]},
            "broken": {"command": str(tmp_path / "no-such-program")},
        }}
        path = tmp_path / "servers.json"
        path.write_text(json.dumps(document))
        yield Servers(path, log, tracker)


@pytest.fixture
async def agent_tools(servers: Servers) -> AsyncIterator[AgentTools]:
    tools = AgentTools(ConnectionPool(parse_servers(servers.file.read_text())), call_timeout_s=3)
    await tools.pool.start()
    try:
        yield tools
    finally:
        await tools.pool.stop()
