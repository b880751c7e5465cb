"""The job tools through the official MCP client, in memory and over real streamable HTTP."""

from __future__ import annotations

import json
from typing import Any

import pytest
from mcp import Client
from mcp_types import CallToolResult

from jobs_mcp.app import App
from jobs_mcp.server import JobsServer
from tests.jobs_mcp.conftest import ClientFactory

JOB_TOOLS = {"job_create", "job_update", "job_pause", "job_resume", "job_cancel", "job_run_now",
             "job_retrieval_by_id", "job_list", "job_runs"}


def data(result: CallToolResult) -> dict[str, Any]:
    """The answer's structured content, checked to be what its text says (one compact JSON, no nulls)."""
    assert not result.is_error, result.content
    assert result.structured_content is not None
    text = result.content[0].text  # type: ignore[union-attr]
    assert text == json.dumps(result.structured_content, ensure_ascii=False, separators=(",", ":"))
    assert "null" not in json.dumps(result.structured_content)
    return result.structured_content


def error(result: CallToolResult) -> str:
    assert result.is_error
    text = result.content[0].text  # type: ignore[union-attr]
    assert "Traceback" not in text and "SELECT" not in text
    return text


async def test_tools_are_listed_with_truthful_annotations(server: JobsServer) -> None:
    async with Client(server) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    assert tools.keys() >= JOB_TOOLS
    for name in ("job_retrieval_by_id", "job_list", "job_runs"):
        assert tools[name].annotations is not None and tools[name].annotations.read_only_hint is True
    for name in ("job_create", "job_update", "job_pause", "job_resume", "job_cancel", "job_run_now"):
        assert tools[name].annotations is not None and tools[name].annotations.read_only_hint is False
    assert tools["job_cancel"].annotations.destructive_hint is True  # type: ignore[union-attr]
    assert tools["job_create"].annotations.destructive_hint is False  # type: ignore[union-attr]
    create_props = tools["job_create"].input_schema["properties"]
    assert "owner" not in create_props and "description" in create_props["cron"]


async def test_create_and_read_back_in_memory(server: JobsServer) -> None:
    async with Client(server) as client:
        created = data(await client.call_tool("job_create", {
            "title": "Invoices", "instructions": "Remind me about pending invoices",
            "cron": "0 9 * * 1", "timezone": "Europe/Berlin", "action": "notify"}))
        job = created["job"]
        assert created["created"] is True
        assert job["schedule_summary"].startswith("Every Monday at 09:00")
        # Monday 2026-11-30 09:00 Berlin (CET, +01:00).
        assert job["next_run_local"] == "2026-11-30T09:00:00+01:00"
        assert created["next_fires"][:2] == ["2026-11-30T09:00:00+01:00", "2026-12-07T09:00:00+01:00"]
        got = data(await client.call_tool("job_retrieval_by_id", {"job_id": job["id"]}))
        assert got["job"]["title"] == "Invoices" and got["runs"] == []
        full = data(await client.call_tool("job_retrieval_by_id", {"job_id": job["id"], "detail": "full"}))
        assert full["job"]["next_run_at"] == "2026-11-30T08:00:00+00:00"
        assert "webhook_secret" not in full["job"]


async def test_lifecycle_over_http(as_owner: ClientFactory) -> None:
    async with as_owner() as client:
        job = data(await client.call_tool("job_create", {
            "title": "Standup", "instructions": "Post the standup note", "interval_seconds": 3600}))["job"]
        paused = data(await client.call_tool("job_pause", {"job_id": job["id"], "reason": "holiday"}))["job"]
        assert paused["status"] == "PAUSED" and paused["paused_reason"] == "holiday"
        assert "next_run_local" not in paused
        resumed = data(await client.call_tool("job_resume", {"job_id": job["id"]}))["job"]
        assert resumed["status"] == "ACTIVE" and resumed["next_run_local"] == "2026-11-24T13:00:00+00:00"
        updated = data(await client.call_tool("job_update", {"job_id": job["id"], "title": "Daily standup",
                                                             "guidance": "keep it short"}))["job"]
        assert updated["title"] == "Daily standup" and "guidance" not in updated
        full = data(await client.call_tool("job_retrieval_by_id", {"job_id": job["id"], "detail": "full"}))["job"]
        assert full["guidance"] == ["keep it short"]
        listed = data(await client.call_tool("job_list", {"status": "ACTIVE"}))
        assert [j["id"] for j in listed["jobs"]] == [job["id"]]
        cancelled = data(await client.call_tool("job_cancel", {"job_id": job["id"]}))["job"]
        assert cancelled["status"] == "CANCELLED"
        text = error(await client.call_tool("job_update", {"job_id": job["id"], "title": "again"}))
        assert text.startswith("conflict:") and "CANCELLED" in text
        runs = data(await client.call_tool("job_runs", {"job_id": job["id"]}))
        assert runs == {"job_id": job["id"], "runs": []}


async def test_idempotent_create_over_http(as_owner: ClientFactory) -> None:
    args = {"title": "Report", "instructions": "Weekly report", "cron": "0 8 * * 5", "idempotency_key": "r-1"}
    async with as_owner() as client:
        first = data(await client.call_tool("job_create", args))
        second = data(await client.call_tool("job_create", args))
    assert first["created"] is True and second["created"] is False
    assert first["job"]["id"] == second["job"]["id"]


@pytest.mark.parametrize(
    ("tool", "arguments", "prefix", "needle"),
    [
        ("job_create", {"title": "", "instructions": "x"}, "invalid_argument: title", "non-empty"),
        ("job_create", {"title": "t", "instructions": "x", "cron": "0 0 9 * * 1"}, "invalid_argument: cron",
         "5-field"),
        ("job_create", {"title": "t", "instructions": "x", "timezone": "CST", "cron": "0 9 * * *"},
         "invalid_argument: timezone", "IANA"),
        ("job_create", {"title": "t", "instructions": "x", "interval_seconds": "soon"},
         "invalid_argument: interval_seconds", ""),
        ("job_create", {"title": "t", "instructions": "x", "interval_seconds": 30},
         "invalid_argument: interval_seconds", "at least 60"),
        ("job_create", {"title": "t", "instructions": "x", "job_type": "ONGOING", "interval_seconds": 600},
         "invalid_argument: end_condition", ""),
        ("job_create", {"title": "t", "instructions": "x", "run_at": "2026-11-01T09:00:00Z"},
         "invalid_argument: run_at", "future"),
        ("job_list", {"status": "SLEEPING"}, "invalid_argument: status", "ACTIVE"),
        ("job_pause", {"job_id": "job_ffffffffffff"}, "not_found:", "job_ffffffffffff"),
        ("job_runs", {"job_id": "job_ffffffffffff"}, "not_found:", ""),
    ],
)
async def test_errors_carry_codes(
    as_owner: ClientFactory, tool: str, arguments: dict[str, Any], prefix: str, needle: str
) -> None:
    async with as_owner() as client:
        text = error(await client.call_tool(tool, arguments))
        listed = data(await client.call_tool("job_list", {}))
    assert text.startswith(prefix), text
    assert needle in text
    assert listed["jobs"] == []


async def test_unexpected_failure_reveals_nothing(server: JobsServer, state: App,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("SELECT * FROM jobs WHERE password='hunter2'")

    monkeypatch.setattr(state.service, "get_with_runs", broken)
    async with Client(server) as client:
        threaded = error(await client.call_tool("job_retrieval_by_id", {"job_id": "job_123456789abc", "runs": 50}))
        monkeypatch.setattr(state.service, "get_with_runs_now", broken)  # the read on the event loop (SQLite)
        quick = error(await client.call_tool("job_retrieval_by_id", {"job_id": "job_123456789abc"}))
    for text in (threaded, quick):
        assert text.startswith("internal_error:") and "reference" in text and "hunter2" not in text


async def test_owner_isolation_over_http(as_owner: ClientFactory) -> None:
    async with as_owner("alice") as alice:
        job = data(await alice.call_tool("job_create", {"title": "Mine", "instructions": "private",
                                                        "cron": "0 9 * * *"}))["job"]
    async with as_owner("bob") as bob:
        for tool, extra in [("job_retrieval_by_id", {}), ("job_update", {"title": "stolen"}), ("job_pause", {}),
                            ("job_resume", {}), ("job_cancel", {}), ("job_run_now", {}), ("job_runs", {})]:
            text = error(await bob.call_tool(tool, {"job_id": job["id"], **extra}))
            assert text.startswith("not_found:"), (tool, text)
        text = error(await bob.call_tool("job_create", {"title": "dep", "instructions": "x",
                                                        "depends_on": [job["id"]]}))
        assert text.startswith("not_found: depends_on"), text
        assert data(await bob.call_tool("job_list", {}))["jobs"] == []
    async with as_owner("alice") as alice:
        mine = data(await alice.call_tool("job_retrieval_by_id", {"job_id": job["id"]}))["job"]
    assert mine["title"] == "Mine" and mine["status"] == "ACTIVE"
