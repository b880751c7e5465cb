"""Agent runs with MCP tools, end to end: the engine, AgentAction, the real anthropic client against the
fake Messages API, and the real notes (stdio) and tracker (HTTP) servers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anyio
import pytest

from jobs_mcp.app import App, build_app
from jobs_mcp.config import Settings
from jobs_mcp.engine_wiring import EngineMode
from scheduler.clock import FakeClock
from scheduler.jobs.job_input import JobInput, JobPatch
from store.errors import InvalidArgument
from store.models import Job, JobRun
from tests.scheduler.agent_tools.conftest import Servers
from tests.scheduler.engine.conftest import TUNING
from tests.support.fake_anthropic import FakeMessagesAPI, call_if_offered, end_turn, offered, verdict

OWNER = "alice"


@pytest.fixture
async def app(sqlite_url: str, clock: FakeClock, fake_api: FakeMessagesAPI,  # noqa: F811
              servers: Servers) -> AsyncIterator[App]:
    settings = Settings(database_url=sqlite_url, anthropic_api_key="test-key",
                        anthropic_base_url=fake_api.base_url,  # type: ignore[attr-defined]
                        model="claude-sonnet-4-6", judge_model="claude-haiku-4-5", servers_file=str(servers.file),
                        tool_timeout_seconds=5)
    node = build_app(settings, clock, engine=EngineMode.MANUAL, tuning=TUNING, search=False)
    assert node.agent_tools is not None
    await node.agent_tools.pool.start()
    with anyio.fail_after(60):
        await node.agent_tools.tools_of("notes")  # the subprocess is up before the first (short) run
    try:
        yield node
    finally:
        await node.agent_tools.pool.stop()
        node.close()


def create(app: App, **fields: Any) -> Job:
    # timeout_seconds is scaled by 0.01 in these tests: 3000 -> 30 s.
    data = {"title": "Shopping list", "instructions": "Add 'buy milk' to my notes", "timeout_seconds": 3000,
            **fields}
    return app.service.create(OWNER, JobInput(**data)).job


async def fire(app: App, job_id: str) -> list[JobRun]:
    assert app.engine is not None
    job = app.service.get(OWNER, job_id)
    app.clock.set(job.next_run_at)  # type: ignore[attr-defined]
    with anyio.fail_after(60):
        await app.engine.poller.tick()
        await app.engine.poller.drain()
    return list(reversed(app.service.runs(OWNER, job_id)))


async def test_the_model_calls_a_notes_tool_and_the_run_records_it(
        app: App, fake_api: FakeMessagesAPI, servers: Servers) -> None:  # noqa: F811
    job = create(app, agent_tools=["notes"])
    fake_api.add(call_if_offered("notes__add_note", {"text": "buy milk"}, tokens_in=100, cache_write=2000),
                 call_if_offered("notes__fail", {"reason": "no paper"}, tokens_in=20, cache_read=2000),
                 end_turn("Added 'buy milk' to your notes.", tokens_in=30, cache_read=2000),
                 verdict(job.id, "completed", message="Noted: buy milk", tokens_in=200, tokens_out=10))
    [run] = await fire(app, job.id)

    assert run.outcome == "succeeded" and app.service.get(OWNER, job.id).status == "COMPLETED"
    assert [(c["tool"], c["arguments"]) for c in servers.notes_calls()] == [
        ("add_note", {"text": "buy milk"}), ("fail", {"reason": "no paper"})]
    first = fake_api.bodies[0]
    tools = {t["name"]: t for t in first["tools"]}
    assert tools["notes__add_note"]["description"] == "Add a note to the notebook."
    assert "notes__wipe" not in tools  # destructive: only when named one by one
    assert first["tools"][-1]["cache_control"] == {"type": "ephemeral"}
    [error_result] = fake_api.bodies[2]["messages"][-1]["content"]
    assert error_result["is_error"] is True and "cannot: no paper" in error_result["content"]
    # The trace holds each turn and each call, with its result or error and its duration.
    calls = [s for s in run.trace if s["step"] == "tool"]
    assert [(s["tool"], s["ok"]) for s in calls] == [("notes__add_note", True), ("notes__fail", False)]
    assert calls[0]["result"] == "note 1 saved" and "cannot: no paper" in calls[1]["error"]
    assert all(isinstance(s["ms"], int) for s in calls)
    assert [s["calls"] for s in run.trace if s["step"] == "turn"] == [["notes__add_note"], ["notes__fail"], []]
    # Tokens read from and written to the prompt cache are counted and priced (sonnet 3/15/3.75/0.30, haiku 1/5).
    assert (run.cache_write_tokens, run.cache_read_tokens) == (2000, 4000)
    expected = (150 * 3 + 60 * 15 + 2000 * 3.75 + 4000 * 0.30 + 200 * 1 + 10 * 5) / 1e6
    assert run.cost_usd == pytest.approx(expected)


async def test_a_job_without_agent_tools_never_sees_them(app: App, fake_api: FakeMessagesAPI,  # noqa: F811
                                                         servers: Servers) -> None:
    job = create(app)
    fake_api.add(call_if_offered("notes__add_note", {"text": "buy milk"}), verdict(job.id, "completed"))
    [run] = await fire(app, job.id)
    assert run.outcome == "succeeded"
    assert offered(fake_api.bodies[0]) == ["http_fetch", "save_state", "create_followup_job", "finish"]
    assert servers.notes_calls() == []


async def test_a_destructive_tool_is_offered_when_named(app: App, fake_api: FakeMessagesAPI,  # noqa: F811
                                                        servers: Servers) -> None:
    job = create(app, agent_tools=["notes/wipe", "tracker"])
    fake_api.add(call_if_offered("notes__wipe", {}), end_turn("Wiped."), verdict(job.id, "completed"))
    [run] = await fire(app, job.id)
    assert run.outcome == "succeeded" and [c["tool"] for c in servers.notes_calls()] == ["wipe"]
    assert [n for n in offered(fake_api.bodies[0]) if "__" in n] == ["notes__wipe", "tracker__open_issue"]


async def test_a_server_killed_mid_run_fails_the_run_retryably_and_the_next_attempt_has_a_new_one(
        app: App, fake_api: FakeMessagesAPI, servers: Servers) -> None:  # noqa: F811
    job = create(app, agent_tools=["notes"], max_attempts=3)
    fake_api.add(call_if_offered("notes__crash", {}))  # the server process exits during the call
    [failed] = await fire(app, job.id)
    assert failed.outcome == "failed"
    assert failed.error == "MCP server 'notes' cannot be reached: connection lost during a call"
    waiting = app.service.get(OWNER, job.id)
    assert waiting.status == "ACTIVE" and waiting.attempt == 1  # retried like any failure

    fake_api.add(call_if_offered("notes__add_note", {"text": "again"}), end_turn("Done."),
                 verdict(job.id, "completed"))
    runs = await fire(app, job.id)
    assert [r.outcome for r in runs] == ["failed", "succeeded"]
    crash, add = servers.notes_calls()
    assert add["arguments"] == {"text": "again"} and add["pid"] != crash["pid"]


async def test_a_tool_that_sleeps_past_the_run_s_timeout_does_not_hold_the_run(
        app: App, fake_api: FakeMessagesAPI, servers: Servers) -> None:  # noqa: F811
    job = create(app, agent_tools=["notes"], timeout_seconds=100, max_attempts=1)  # scaled: 1 s
    fake_api.add(call_if_offered("notes__slow", {"seconds": 120}))
    [run] = await fire(app, job.id)  # fire() allows 60 s; the tool would take 120
    assert run.outcome == "timed_out" and run.error == "timed out after 100 s"
    assert [c["tool"] for c in servers.notes_calls()] == ["slow"]


async def test_a_server_that_cannot_start_fails_the_run_naming_it(
        app: App, fake_api: FakeMessagesAPI) -> None:  # noqa: F811
    job = create(app, agent_tools=["broken"], max_attempts=2)
    [run] = await fire(app, job.id)
    assert run.outcome == "failed" and (run.error or "").startswith("MCP server 'broken' cannot be reached: ")
    assert fake_api.bodies == []  # nothing was asked of the model
    assert app.service.get(OWNER, job.id).status == "ACTIVE"  # retryable


def test_unknown_servers_and_other_owners_servers_are_refused_at_create_and_update(app: App) -> None:
    with pytest.raises(InvalidArgument, match=r"^agent_tools: expected '<server>' or '<server>/<tool>'"):
        create(app, agent_tools=["calendar"])
    with pytest.raises(InvalidArgument, match=r"^agent_tools: expected '<server>'"):
        app.service.create("bob", JobInput(title="t", instructions="i", agent_tools=["tracker"]))
    job = create(app)

    with pytest.raises(InvalidArgument, match=r"^agent_tools: "):
        app.service.update(OWNER, job.id, JobPatch(agent_tools=["notes/no_such_tool"]))
    assert app.service.update(OWNER, job.id, JobPatch(agent_tools=["notes", "tracker"])).agent_tools == [
        "notes", "tracker"]
    assert app.service.update(OWNER, job.id, JobPatch(agent_tools=[])).agent_tools == []
