"""The MCP side of agent tools: agent_tools_available, agent_tools on job_create, and job_runs' full trace."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio
import pytest
from mcp import Client

from jobs_mcp.app import App, build_app
from jobs_mcp.config import Settings
from jobs_mcp.engine_wiring import EngineMode
from jobs_mcp.server import build_server
from scheduler.clock import FakeClock
from tests.jobs_mcp.test_tools_http import data, error
from tests.scheduler.agent_tools.conftest import Servers, servers  # noqa: F401  (the fixture)
from tests.scheduler.engine.conftest import TUNING
from tests.support.fake_anthropic import FakeMessagesAPI, call_if_offered, end_turn, verdict


@pytest.fixture
async def app(sqlite_url: str, clock: FakeClock, fake_api: FakeMessagesAPI,  # noqa: F811
              servers: Servers) -> AsyncIterator[App]:  # noqa: F811
    settings = Settings(database_url=sqlite_url, anthropic_api_key="test-key",
                        anthropic_base_url=fake_api.base_url,  # type: ignore[attr-defined]
                        model="claude-sonnet-4-6", judge_model="claude-haiku-4-5", servers_file=str(servers.file))
    node = build_app(settings, clock, engine=EngineMode.MANUAL, tuning=TUNING, search=False)
    yield node
    node.close()


async def test_the_servers_this_owner_may_use_are_listed_with_their_tools(app: App) -> None:
    async with Client(build_server(app)) as client:  # in process, the caller is the owner `local`
        with anyio.fail_after(60):
            listed = data(await client.call_tool("agent_tools_available", {}))
    by_name = {s["name"]: s for s in listed["servers"]}
    assert set(by_name) == {"notes", "broken"}  # tracker is alice's only
    tools = {t["name"]: t for t in by_name["notes"]["tools"]}
    assert tools["add_note"] == {"name": "add_note", "description": "Add a note to the notebook."}
    assert tools["wipe"]["destructive"] is True
    assert by_name["broken"]["error"] and "tools" not in by_name["broken"]


async def test_job_create_checks_agent_tools_and_job_runs_full_shows_the_run(
        app: App, fake_api: FakeMessagesAPI) -> None:  # noqa: F811
    async with Client(build_server(app)) as client:
        refused = error(await client.call_tool("job_create", {"title": "t", "instructions": "i",
                                                              "agent_tools": ["tracker"]}))
        assert refused.startswith("invalid_argument: agent_tools: expected '<server>' or '<server>/<tool>'")
        created = data(await client.call_tool("job_create", {
            "title": "Shopping", "instructions": "Note: buy milk", "agent_tools": ["notes"],
            "timeout_seconds": 3000, "max_turns": 5, "model": "claude-sonnet-4-6"}))
        job_id = created["job"]["id"]
        fake_api.add(call_if_offered("notes__add_note", {"text": "buy milk"}), end_turn("Noted."),
                     verdict(job_id, "completed", message="Noted: buy milk"))
        assert app.engine is not None
        with anyio.fail_after(60):
            await app.engine.poller.tick()
            await app.engine.poller.drain()

        brief = data(await client.call_tool("job_runs", {"job_id": job_id}))
        assert "events" not in brief and "steps" not in brief["runs"][0]
        full = data(await client.call_tool("job_runs", {"job_id": job_id, "detail": "full"}))
        job = data(await client.call_tool("job_retrieval_by_id", {"job_id": job_id, "detail": "full"}))["job"]
    assert (job["agent_tools"], job["max_turns"], job["model"]) == (["notes"], 5, "claude-sonnet-4-6")
    [run] = full["runs"]
    turns = [s for s in run["steps"] if s["step"] == "turn"]
    assert [t["calls"] for t in turns[:1]] == [["notes__add_note"]] and turns[1]["text"] == "Noted."
    [call] = [s for s in run["steps"] if s["step"] == "tool"]
    assert call["tool"] == "notes__add_note" and call["arguments"] == '{"text": "buy milk"}'
    assert call["ok"] is True and call["result"] == "note 1 saved" and "ms" in call
    assert [s["applied"] for s in run["steps"] if s["step"] == "judge"] == ["completed"]
    events = full["events"]
    assert [(e.get("from_status"), e["to_status"], e["actor"]) for e in events][0] == (None, "ACTIVE", "local")
    assert events[-1]["to_status"] == "COMPLETED"
