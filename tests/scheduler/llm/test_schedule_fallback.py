"""Plain words the grammar cannot read go to the LLM (scheduler/llm/prompts/schedule.md) when one is configured;
its reading is validated like explicit fields, and without an LLM the error stands."""

from __future__ import annotations

from typing import Any

from mcp import Client

from jobs_mcp.server import JobsServer
from tests.jobs_mcp.test_tools_http import data, error
from tests.support.fake_anthropic import FakeMessagesAPI, reply, tool_use

ODD = "whenever a fresh week begins, first thing"


def reading(**fields: Any) -> dict[str, Any]:
    return reply(tool_use("explicit_schedule", {"understood": True, **fields}))


async def call(server: JobsServer, tool: str, arguments: dict[str, Any]) -> Any:
    async with Client(server) as client:
        return await client.call_tool(tool, arguments)


async def test_the_llm_reads_what_the_grammar_cannot(llm_server: JobsServer,
                                                     fake_api: FakeMessagesAPI) -> None:
    fake_api.add(reading(job_type="SCHEDULED", cron="0 9 * * 1"))
    async with Client(llm_server) as client:
        created = data(await client.call_tool("job_create", {"title": "Plan the week", "instructions": "x",
                                                             "schedule": ODD, "timezone": "Europe/Berlin"}))
        job = data(await client.call_tool("job_retrieval_by_id", {"job_id": created["job"]["id"],
                                                                  "detail": "full"}))["job"]
    assert (job["job_type"], job["cron"], job["schedule_text"]) == ("SCHEDULED", "0 9 * * 1", ODD)
    assert job["schedule_summary"] == "Every Monday at 09:00 (Europe/Berlin)"
    [request] = fake_api.bodies
    assert request["model"] == "claude-haiku-4-5" and request["tool_choice"]["name"] == "explicit_schedule"
    assert ODD in request["system"] and "Europe/Berlin" in request["system"]


async def test_preview_uses_the_same_fallback(llm_server: JobsServer,
                                              fake_api: FakeMessagesAPI) -> None:
    fake_api.add(reading(job_type="RECURRING", interval_days=2))
    preview = data(await call(llm_server, "schedule_preview", {"schedule": "on alternate days",
                                                               "now": "2026-11-24T12:00:00Z", "count": 2,
                                                               "detail": "full"}))
    assert preview["job_type"] == "RECURRING" and preview["interval_days"] == 2
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


async def test_update_falls_back_too(llm_server: JobsServer, fake_api: FakeMessagesAPI) -> None:
    fake_api.add(reading(job_type="SCHEDULED", cron="30 7 * * 1-5"))
    async with Client(llm_server) as client:
        job = data(await client.call_tool("job_create", {"title": "t", "instructions": "x", "cron": "0 9 * * 1"}))
        updated = data(await client.call_tool("job_update", {"job_id": job["job"]["id"],
                                                             "schedule": "on working days just after 7:30"}))
    assert updated["job"]["cron"] == "30 7 * * 1-5"
