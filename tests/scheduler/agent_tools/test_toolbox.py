"""The pool and the catalog against real MCP servers: what a run is offered and what its calls get back."""

from __future__ import annotations

import json
import logging
import os
import signal

import anyio
import pytest

from scheduler.agent_tools.catalog import RESULT_CHARS, AgentTools
from scheduler.agent_tools.pool import ConnectionPool
from scheduler.agent_tools.servers import parse_servers
from store.errors import InvalidArgument, ToolServerUnavailable
from tests.scheduler.agent_tools.conftest import TRACKER_TOKEN, Servers
from tests.support.http import free_port, serve_in_thread
from tests.support.mcp_servers.tracker import Tracker

NOTES_SAFE = {"notes__add_note", "notes__list_notes", "notes__slow", "notes__fail", "notes__big", "notes__crash"}


async def test_a_whole_server_offers_its_tools_but_a_destructive_one_only_when_named(agent_tools: AgentTools) -> None:
    with anyio.fail_after(60):
        whole = await agent_tools.toolbox("alice", ["notes"])
        named = await agent_tools.toolbox("alice", ["notes/wipe"])
        both = await agent_tools.toolbox("alice", ["notes", "notes/wipe"])
    assert set(whole.offered) == NOTES_SAFE  # notes/wipe is annotated destructiveHint
    assert list(named.offered) == ["notes__wipe"]
    assert set(both.offered) == NOTES_SAFE | {"notes__wipe"}
    add = whole.offered["notes__add_note"].definition()
    assert add["description"] == "Add a note to the notebook."
    assert add["input_schema"]["properties"]["text"]["type"] == "string"


async def test_calls_reach_the_server_and_errors_come_back_as_error_results(
        agent_tools: AgentTools, servers: Servers) -> None:
    with anyio.fail_after(60):
        box = await agent_tools.toolbox("alice", ["notes"])
        assert await box.call("notes__add_note", {"text": "buy milk"}) == (True, "note 1 saved")
        ok, text = await box.call("notes__fail", {"reason": "no paper"})
        assert not ok and "cannot: no paper" in text
        ok, text = await box.call("notes__big", {"chars": RESULT_CHARS + 500})
        assert ok and text.startswith("x" * RESULT_CHARS) and text.endswith(
            f"(cut: {RESULT_CHARS + 500} characters, the first {RESULT_CHARS} shown)")
        # Past the call timeout (3 s here) the model hears so; the connection stays usable.
        ok, text = await box.call("notes__slow", {"seconds": 30})
        assert (ok, text) == (False, "notes__slow: no answer within 3 s")
        assert await box.call("notes__list_notes", {}) == (True, "buy milk")
    assert [c["tool"] for c in servers.notes_calls()] == ["add_note", "fail", "big", "slow", "list_notes"]
    assert servers.notes_calls()[0]["arguments"] == {"text": "buy milk"}
    assert len({c["pid"] for c in servers.notes_calls()}) == 1  # one process, reused


async def test_a_server_that_dies_mid_call_fails_the_call_naming_it_and_is_started_again(
        agent_tools: AgentTools, servers: Servers) -> None:
    with anyio.fail_after(60):
        box = await agent_tools.toolbox("alice", ["notes"])
        await box.call("notes__add_note", {"text": "one"})
        first_pid = servers.notes_calls()[0]["pid"]

        async def kill_when_slow_starts() -> None:
            while not any(c["tool"] == "slow" for c in servers.notes_calls()):
                await anyio.sleep(0.05)
            os.kill(first_pid, signal.SIGKILL)

        async with anyio.create_task_group() as tg:
            tg.start_soon(kill_when_slow_starts)
            with pytest.raises(ToolServerUnavailable) as lost:
                await box.call("notes__slow", {"seconds": 30})
        assert lost.value.server == "notes" and "connection lost" in lost.value.message
        assert await box.call("notes__add_note", {"text": "two"}) == (True, "note 1 saved")  # a fresh process
    assert servers.notes_calls()[-1]["pid"] != first_pid


async def test_a_server_that_cannot_start_is_named(agent_tools: AgentTools) -> None:
    with anyio.fail_after(60), pytest.raises(ToolServerUnavailable) as refused:
        await agent_tools.toolbox("alice", ["broken"])
    assert refused.value.message.startswith("MCP server 'broken' cannot be reached: ")


async def test_streamable_http_with_the_configured_headers(agent_tools: AgentTools, servers: Servers) -> None:
    with anyio.fail_after(60):
        box = await agent_tools.toolbox("alice", ["tracker"])
        assert list(box.offered) == ["tracker__open_issue"]  # close_all is destructive
        assert await box.call("tracker__open_issue", {"title": "Printer jam"}) == (True, "issue #1 opened")
    assert servers.tracker.calls == [{"tool": "open_issue", "arguments": {"title": "Printer jam"},
                                      "authorization": TRACKER_TOKEN}]


async def test_names_are_checked_against_the_servers_and_their_owners(agent_tools: AgentTools) -> None:
    assert agent_tools.check("alice", ["notes", "notes/wipe", "notes", "tracker"]) == ["notes", "notes/wipe",
                                                                                      "tracker"]
    assert agent_tools.visible_servers("bob") == ["notes", "broken"]
    for owner, entry in (("bob", "tracker"), ("alice", "nope"), ("alice", "notes/"), ("alice", "nope/add_note")):
        with pytest.raises(InvalidArgument) as refused:
            agent_tools.check(owner, [entry])
        assert str(refused.value).startswith("agent_tools: expected '<server>' or '<server>/<tool>' of a "
                                             "configured MCP server")
    with anyio.fail_after(60):
        await agent_tools.tools_of("notes")  # once the tool list is known, a tool name is checked too
    with pytest.raises(InvalidArgument, match="expected a tool of MCP server 'notes'"):
        agent_tools.check("alice", ["notes/add_notes"])


async def test_the_stdio_server_s_stderr_goes_to_the_log(agent_tools: AgentTools,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="scheduler.agent_tools.pool")
    with anyio.fail_after(60):
        await agent_tools.tools_of("notes")
        while not any("notes server pid" in r.getMessage() for r in caplog.records):
            await anyio.sleep(0.05)
    assert any(r.getMessage().startswith("MCP server notes stderr: notes server pid") for r in caplog.records)


async def test_an_http_server_that_went_away_fails_the_call_naming_it_and_is_reached_again() -> None:
    tracker = Tracker()
    port = free_port()
    spec = {"mcpServers": {"tracker": {"url": f"http://127.0.0.1:{port}/mcp"}}}
    tools = AgentTools(ConnectionPool(parse_servers(json.dumps(spec))), call_timeout_s=5)
    app = tracker.server.streamable_http_app(streamable_http_path="/mcp")
    try:
        with anyio.fail_after(60):
            with serve_in_thread(app, port=port):
                box = await tools.toolbox("alice", ["tracker"])
                assert (await box.call("tracker__open_issue", {"title": "one"}))[0]
            with pytest.raises(ToolServerUnavailable) as gone:  # the server is down now
                await box.call("tracker__open_issue", {"title": "two"})
            assert gone.value.server == "tracker"
            with serve_in_thread(tracker.server.streamable_http_app(streamable_http_path="/mcp"), port=port):
                assert await box.call("tracker__open_issue", {"title": "three"}) == (True, "issue #2 opened")
    finally:
        await tools.pool.stop()
    assert [c["arguments"]["title"] for c in tracker.calls] == ["one", "three"]
