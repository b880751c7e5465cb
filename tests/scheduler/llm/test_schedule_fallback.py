"""Plain words the grammar cannot read go to the LLM (scheduler/llm/prompts/schedule.md) when one is configured;
its reading is validated like explicit fields, and without an LLM the error stands."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client
from mcp_types import ElicitResult

from jobs_mcp.app import App
from jobs_mcp.server import JobsServer, build_server
from tests.jobs_mcp.test_tools_http import data, error
from tests.support.fake_anthropic import FakeMessagesAPI, reply, tool_use

ODD = "whenever a fresh week begins, first thing"


def reading(**fields: Any) -> dict[str, Any]:
    return reply(tool_use("explicit_schedule", {"understood": True, **fields}))


async def call(server: JobsServer, tool: str, arguments: dict[str, Any]) -> Any:
    async with Client(server) as client:
        return await client.call_tool(tool, arguments)


async def test_without_elicitation_the_reading_waits_for_the_agents_confirm(
        llm_server: JobsServer, fake_api: FakeMessagesAPI) -> None:
    fake_api.add(reading(job_type="SCHEDULED", cron="0 9 * * 1"))
    args = {"title": "Plan the week", "instructions": "x", "schedule": ODD, "timezone": "Europe/Berlin"}
    async with Client(llm_server) as client:
        pending = data(await client.call_tool("job_create", args))
        nothing = data(await client.call_tool("job_list", {}))
        created = data(await client.call_tool("job_create", {**args, "confirm": True}))
        job = data(await client.call_tool("job_retrieval_by_id", {"job_id": created["job"]["id"],
                                                                  "detail": "full"}))["job"]
    assert pending["created"] is False and "job" not in pending and pending["interpreted_by"] == "llm"
    assert pending["needs_confirmation"] == {
        "schedule": ODD, "summary": "Every Monday at 09:00 (Europe/Berlin)", "job_type": "SCHEDULED",
        "cron": "0 9 * * 1", "fires": ["2026-11-30T09:00:00+01:00", "2026-12-07T09:00:00+01:00",
                                       "2026-12-14T09:00:00+01:00"]}
    assert "confirm: true" in pending["note"] and nothing["jobs"] == []
    assert created["created"] is True and created["interpreted_by"] == "llm"
    assert (job["job_type"], job["cron"], job["schedule_text"]) == ("SCHEDULED", "0 9 * * 1", ODD)
    assert job["schedule_summary"] == "Every Monday at 09:00 (Europe/Berlin)"
    [request] = fake_api.bodies  # the confirming call saw the same reading, without asking again
    assert request["model"] == "claude-haiku-4-5" and request["tool_choice"]["name"] == "explicit_schedule"
    assert ODD in request["system"] and "Europe/Berlin" in request["system"]


def answering(action: str, content: dict[str, Any] | None = None) -> tuple[list[str], Any]:
    """An elicitation callback that answers `action` (with `content`), and the messages it was shown."""
    shown: list[str] = []

    async def callback(_context: Any, params: Any) -> ElicitResult:
        shown.append(params.message)
        return ElicitResult(action=action, content=content)  # type: ignore[arg-type]

    return shown, callback


@pytest.mark.parametrize("mode", ["auto", "legacy"])  # input-required rounds (2026-07-28), or a mid-call request
async def test_the_person_confirms_the_reading_through_elicitation(
        llm_server: JobsServer, fake_api: FakeMessagesAPI, mode: str) -> None:
    fake_api.add(reading(job_type="SCHEDULED", cron="0 9 * * 1"))
    shown, accept = answering("accept", {"store": True})
    async with Client(llm_server, elicitation_callback=accept, mode=mode) as client:  # type: ignore[arg-type]
        created = data(await client.call_tool("job_create", {"title": "Plan the week", "instructions": "x",
                                                             "schedule": ODD, "timezone": "Europe/Berlin"}))
    assert created["created"] is True and created["interpreted_by"] == "llm"
    assert created["job"]["schedule_summary"] == "Every Monday at 09:00 (Europe/Berlin)"
    [question] = shown
    assert ODD in question and "Every Monday at 09:00 (Europe/Berlin)" in question
    assert "2026-11-30T09:00:00+01:00" in question
    assert len(fake_api.bodies) == 1  # every round read the same reading


@pytest.mark.parametrize(("action", "content"), [("decline", None), ("cancel", None), ("accept", {"store": False})])
async def test_a_reading_the_person_does_not_confirm_stores_nothing(
        llm_server: JobsServer, fake_api: FakeMessagesAPI, action: str, content: dict[str, Any] | None) -> None:
    fake_api.add(reading(job_type="SCHEDULED", cron="0 9 * * 1"))
    shown, refuse = answering(action, content)
    async with Client(llm_server, elicitation_callback=refuse) as client:
        refused = data(await client.call_tool("job_create", {"title": "t", "instructions": "x", "schedule": ODD}))
        listed = data(await client.call_tool("job_list", {}))
    assert refused["created"] is False and "job" not in refused and "needs_confirmation" not in refused
    assert refused["note"].startswith("Nothing stored: the person did not confirm")
    assert len(shown) == 1 and listed["jobs"] == []


async def test_words_the_grammar_reads_are_never_asked_about(llm_server: JobsServer,
                                                             fake_api: FakeMessagesAPI) -> None:
    shown, accept = answering("accept", {"store": True})
    async with Client(llm_server, elicitation_callback=accept) as client:
        created = data(await client.call_tool("job_create", {"title": "t", "instructions": "x",
                                                             "schedule": "every Monday at 9am"}))
    assert created["created"] is True and "interpreted_by" not in created
    assert shown == [] and fake_api.bodies == []


async def test_an_ongoing_job_stays_ongoing_under_a_reading(llm_server: JobsServer,
                                                            fake_api: FakeMessagesAPI) -> None:
    fake_api.add(reading(job_type="SCHEDULED", cron="0 9 * * 1"))
    async with Client(llm_server) as client:
        created = data(await client.call_tool("job_create", {
            "title": "t", "instructions": "x", "schedule": ODD, "job_type": "ONGOING",
            "end_condition": "the report is out", "confirm": True}))
        job = data(await client.call_tool("job_retrieval_by_id", {"job_id": created["job"]["id"],
                                                                  "detail": "full"}))["job"]
    assert (job["job_type"], job["cron"]) == ("ONGOING", "0 9 * * 1")


async def test_preview_uses_the_same_fallback(llm_server: JobsServer,
                                              fake_api: FakeMessagesAPI) -> None:
    fake_api.add(reading(job_type="RECURRING", interval_days=2))
    preview = data(await call(llm_server, "schedule_preview", {"schedule": "on alternate days",
                                                               "now": "2026-11-24T12:00:00Z", "count": 2,
                                                               "detail": "full"}))
    assert preview["job_type"] == "RECURRING" and preview["interval_days"] == 2
    assert preview["interpreted_by"] == "llm"  # nothing is stored, so nothing is asked
    assert preview["fires"] == ["2026-11-26T12:00:00+00:00", "2026-11-28T12:00:00+00:00"]


async def test_an_unusable_reading_is_refused_and_changes_nothing(llm_server: JobsServer,
                                                                  fake_api: FakeMessagesAPI) -> None:
    fake_api.add(reading(job_type="SCHEDULED", cron="0 9 * * 1 *"))  # 6 fields
    text = error(await call(llm_server, "job_create", {"title": "t", "instructions": "x", "schedule": ODD}))
    assert text.startswith("invalid_argument: schedule: no schedule recognised") and "5-field" in text
    assert data(await call(llm_server, "job_list", {}))["jobs"] == []


async def test_an_unsure_model_leaves_the_error(llm_server: JobsServer,
                                                fake_api: FakeMessagesAPI) -> None:
    fake_api.add(reply(tool_use("explicit_schedule", {"understood": False})))
    text = error(await call(llm_server, "job_create", {"title": "t", "instructions": "x",
                                                       "schedule": "whenever you feel like it"}))
    assert text.startswith("invalid_argument: schedule: no schedule recognised")


async def test_real_errors_never_go_to_the_model(llm_server: JobsServer,
                                                 fake_api: FakeMessagesAPI) -> None:
    for phrase in ("on February 30 at 9am", "yesterday at 5pm", "every 0 minutes"):
        assert error(await call(llm_server, "job_create", {"title": "t", "instructions": "x",
                                                           "schedule": phrase})).startswith("invalid_argument")
    assert fake_api.bodies == []


async def test_update_asks_too_and_changes_nothing_before_the_yes(llm_server: JobsServer,
                                                                   fake_api: FakeMessagesAPI) -> None:
    fake_api.add(reading(job_type="SCHEDULED", cron="30 7 * * 1-5"))
    change = {"schedule": "on working days just after 7:30", "title": "Renamed"}
    async with Client(llm_server) as client:
        job = data(await client.call_tool("job_create", {"title": "t", "instructions": "x", "cron": "0 9 * * 1",
                                                         "timezone": "America/New_York"}))
        job_id = job["job"]["id"]
        pending = data(await client.call_tool("job_update", {"job_id": job_id, **change}))
        unchanged = data(await client.call_tool("job_retrieval_by_id", {"job_id": job_id, "detail": "full"}))
        updated = data(await client.call_tool("job_update", {"job_id": job_id, **change, "confirm": True}))
    assert "job" not in pending and pending["needs_confirmation"]["cron"] == "30 7 * * 1-5"
    assert pending["needs_confirmation"]["summary"] == "Every weekday at 07:30 (America/New_York)"  # the job's zone
    assert (unchanged["job"]["title"], unchanged["job"]["cron"]) == ("t", "0 9 * * 1")
    assert updated["job"]["cron"] == "30 7 * * 1-5" and updated["job"]["title"] == "Renamed"
    assert updated["interpreted_by"] == "llm"
    [request] = fake_api.bodies
    assert "America/New_York" in request["system"]


async def test_a_used_up_daily_spend_leaves_the_grammar_answer_without_calling_the_model(
        tight_spend_state: App, fake_api: FakeMessagesAPI) -> None:
    server = build_server(tight_spend_state)
    fake_api.add(reading(job_type="SCHEDULED", cron="0 9 * * 1"))
    args = {"title": "Plan the week", "instructions": "x", "schedule": ODD, "timezone": "Europe/Berlin"}
    first = data(await call(server, "job_create", args))  # read by the model: its cost is over the limit
    other = await call(server, "job_create", {**args, "schedule": "whenever the moon is new, at dawn"})
    assert first["interpreted_by"] == "llm" and len(fake_api.bodies) == 1
    assert error(other).startswith("invalid_argument: schedule")  # the grammar's answer stands
