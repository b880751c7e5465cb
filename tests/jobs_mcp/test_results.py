"""The answers a model reads: brief by default, every field with detail "full", never a null, a default or a secret."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from mcp import Client

from jobs_mcp.app import App, build_app
from jobs_mcp.config import Settings
from jobs_mcp.results import BRIEF_TEXT_MAX, JobView, RunView, clip
from jobs_mcp.server import JobsServer, build_server
from scheduler.clock import FakeClock
from scheduler.engine.actions import ActionResult
from tests.jobs_mcp.test_tools_http import data
from tests.scheduler.engine.conftest import ScriptedAction

SECRET = "never-show-this-secret"
READS = {
    "job_retrieval_by_id": lambda job_id: {"job_id": job_id},
    "job_list": lambda _job_id: {},
    "job_runs": lambda job_id: {"job_id": job_id},
    "job_retrieval_by_keywords": lambda _job_id: {"keywords": "timesheet"},
    "job_retrieval_semantic": lambda _job_id: {"query": "my timesheet"},
    "job_inbox": lambda _job_id: {"ack": False},
}
BRIEF_JOB = JobView.BRIEF | {"schedule_summary", "paused_reason", "last_error"}


@pytest.fixture
def agent() -> ScriptedAction:
    return ScriptedAction()


@pytest.fixture
def scripted(settings: Settings, clock: FakeClock, agent: ScriptedAction) -> Iterator[App]:
    """The app with a scripted agent in place of the LLM pipeline."""
    app = build_app(settings, clock, actions={"agent": agent})
    yield app
    app.close()


async def _job_with_a_run(client: Client, state: App, clock: FakeClock, agent: ScriptedAction) -> dict[str, Any]:
    created = data(await client.call_tool("job_create", {
        "title": "Timesheet", "instructions": "Fill in the timesheet " * 40, "schedule": "every Friday at 4pm",
        "timezone": "America/New_York", "chat_id": "c-1", "max_attempts": 5, "webhook_url": "https://93.184.215.14/h",
        "webhook_secret": SECRET}))
    agent.script.append(ActionResult(summary="Filled in: 38 hours " + "x" * 600, output="All done",
                                            message="Your timesheet is filled in"))
    clock.set(clock.now().replace(day=27, hour=21, minute=0, second=1))  # Friday 16:00:01 in New York
    assert state.engine is not None
    await state.engine.poller.tick_until_idle()
    return created


async def test_reads_are_brief_unless_full_is_asked(scripted: App, clock: FakeClock, agent: ScriptedAction) -> None:
    async with Client(build_server(scripted)) as client:
        created = await _job_with_a_run(client, scripted, clock, agent)
        job_id = created["job"]["id"]
        assert set(created) == {"job", "created", "next_fires"} and set(created["job"]) <= BRIEF_JOB
        answers = {}
        for tool, arguments in READS.items():
            for detail in ("brief", "full"):
                result = await client.call_tool(tool, {**arguments(job_id), "detail": detail})
                answers[tool, detail] = (data(result), result.content[0].text)  # type: ignore[union-attr]
    for (tool, detail), (_answer, text) in answers.items():
        assert SECRET not in text, (tool, detail)
        full_text = answers[tool, "full"][1]
        assert detail == "full" or len(text) < len(full_text), tool
    brief = answers["job_retrieval_by_id", "brief"][0]
    assert set(brief["job"]) <= BRIEF_JOB | JobView.ABOUT
    assert brief["job"]["next_run_local"] == "2026-12-04T16:00:00-05:00"  # in the job's zone, with its offset
    assert len(brief["job"]["instructions"]) == BRIEF_TEXT_MAX and brief["job"]["instructions"].endswith("…")
    [run] = brief["runs"]
    assert set(run) <= RunView.BRIEF | {"finished_at"} and run["finished_at"].endswith("-05:00")
    assert len(run["summary"]) == BRIEF_TEXT_MAX
    full = answers["job_retrieval_by_id", "full"][0]
    assert full["job"]["max_attempts"] == 5 and full["job"]["webhook_url"] == "https://93.184.215.14/h"
    assert "timeout_seconds" not in full["job"] and "depends_on" not in full["job"]  # at their defaults
    assert full["job"]["instructions"] == ("Fill in the timesheet " * 40).strip()
    assert full["runs"][0]["output"] == "All done" and full["runs"][0]["deliveries"]
    listed = answers["job_list", "brief"][0]["jobs"]
    assert [set(j) <= BRIEF_JOB for j in listed] == [True]


async def test_an_update_answers_with_what_it_changed(server: JobsServer) -> None:
    async with Client(server) as client:
        job = data(await client.call_tool("job_create", {"title": "t", "instructions": "i", "cron": "0 9 * * 1"}))
        updated = data(await client.call_tool("job_update", {
            "job_id": job["job"]["id"], "max_attempts": 4, "chat_id": "c-9", "instructions": "long text"}))
    assert updated["job"]["max_attempts"] == 4 and updated["job"]["chat_id"] == "c-9"
    assert "instructions" not in updated["job"]


async def test_the_text_is_compact_json_of_the_structured_content(server: JobsServer) -> None:
    async with Client(server) as client:
        result = await client.call_tool("job_create", {"title": "Ünïcode ✓", "instructions": "i"})
    text = result.content[0].text  # type: ignore[union-attr]
    assert json.loads(text) == result.structured_content
    assert "\n" not in text and "Ünïcode ✓" in text  # no indentation, no \\u escapes


def test_clip_marks_the_cut() -> None:
    assert clip("short", 10) == "short" and clip(None) is None
    assert clip("a" * 20, 10) == "a" * 9 + "…"
