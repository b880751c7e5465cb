"""Plain-words schedules through the tools: schedule_preview and job_create/job_update with `schedule`."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client

from jobs_mcp.server import JobsServer
from tests.jobs_mcp.test_tools_http import data, error


async def call(server: JobsServer, tool: str, arguments: dict[str, Any]) -> Any:
    async with Client(server) as client:
        return await client.call_tool(tool, arguments)


async def test_preview_reads_plain_words_in_the_zone(server: JobsServer) -> None:
    result = data(await call(server, "schedule_preview", {
        "schedule": "every Monday at 9am", "timezone": "Europe/Berlin", "count": 3,
        "now": "2027-03-24T12:00:00+01:00", "detail": "full"}))
    assert result["job_type"] == "SCHEDULED" and result["cron"] == "0 9 * * 1"
    assert result["summary"] == "Every Monday at 09:00 (Europe/Berlin)"
    # Berlin springs forward on 2027-03-28: the Monday after is in CEST (+02:00).
    assert result["fires"] == ["2027-03-29T09:00:00+02:00", "2027-04-05T09:00:00+02:00", "2027-04-12T09:00:00+02:00"]


async def test_preview_is_brief_unless_asked(server: JobsServer) -> None:
    result = data(await call(server, "schedule_preview", {"schedule": "every 2 hours", "count": 2,
                                                          "now": "2027-03-24T12:00:00Z"}))
    assert result == {"job_type": "RECURRING", "summary": result["summary"],
                      "fires": ["2027-03-24T14:00:00+00:00", "2027-03-24T16:00:00+00:00"]}


async def test_preview_of_explicit_fields_matches_plain_words(server: JobsServer) -> None:
    common = {"timezone": "America/New_York", "now": "2027-03-10T10:00:00", "count": 4}
    words = data(await call(server, "schedule_preview", {"schedule": "every day at 2:30", **common}))
    fields = data(await call(server, "schedule_preview", {"cron": "30 2 * * *", **common}))
    assert words["fires"] == fields["fires"]
    # 2027-03-14 02:30 does not exist in New York: it fires at 03:00 EDT.
    assert "2027-03-14T03:00:00-04:00" in words["fires"]


async def test_preview_one_off_lists_exactly_one_fire(server: JobsServer) -> None:
    result = data(await call(server, "schedule_preview", {"schedule": "tomorrow at 5pm", "timezone": "Asia/Tokyo",
                                                          "now": "2026-11-24T12:00:00Z", "count": 5}))
    assert result["job_type"] == "ONE_OFF"
    assert result["fires"] == ["2026-11-25T17:00:00+09:00"]


@pytest.mark.parametrize("phrase", ["every blue moon", "whenever a fresh week begins, first thing",
                                    "on February 30 at 9am", "at 25:00", "every 0 minutes", "yesterday at 5pm"])
async def test_preview_refuses_what_is_not_a_schedule(server: JobsServer, phrase: str) -> None:
    text = error(await call(server, "schedule_preview", {"schedule": phrase}))
    assert text.startswith("invalid_argument: schedule:"), text
    assert "every Monday at 9am" in text  # accepted examples come with the reason


async def test_create_with_plain_words_stores_the_explicit_form(server: JobsServer, clock: Any) -> None:
    async with Client(server) as client:
        created = data(await client.call_tool("job_create", {
            "title": "Standup", "instructions": "Post the note", "schedule": "every weekday at 8:30",
            "timezone": "America/New_York", "action": "notify"}))
        job = data(await client.call_tool("job_retrieval_by_id", {"job_id": created["job"]["id"],
                                                                   "detail": "full"}))["job"]
    assert job["job_type"] == "SCHEDULED" and job["cron"] == "30 8 * * 1-5"
    assert job["schedule_text"] == "every weekday at 8:30"
    assert job["schedule_summary"].startswith("Every weekday at 08:30")
    # Now is Tuesday 2026-11-24 07:00 in New York: the first fire is today at 08:30 EST.
    assert created["next_fires"][0] == created["job"]["next_run_local"] == "2026-11-24T08:30:00-05:00"


async def test_plain_words_respect_the_minimum_interval(server: JobsServer) -> None:
    text = error(await call(server, "job_create", {"title": "t", "instructions": "x", "schedule": "every 30 seconds"}))
    assert text.startswith("invalid_argument: schedule:") and "at least 60 seconds" in text


async def test_update_with_plain_words_reschedules(server: JobsServer) -> None:
    async with Client(server) as client:
        job = data(await client.call_tool("job_create", {"title": "t", "instructions": "x", "cron": "0 9 * * 1"}))
        brief = data(await client.call_tool("job_update", {"job_id": job["job"]["id"],
                                                           "schedule": "every 2 hours"}))["job"]
        updated = data(await client.call_tool("job_retrieval_by_id", {"job_id": job["job"]["id"],
                                                                      "detail": "full"}))["job"]
    assert brief["schedule_summary"] == updated["schedule_summary"] == "Every 2 hours"
    assert updated["job_type"] == "RECURRING" and updated["interval_seconds"] == 7200 and "cron" not in updated
    assert updated["next_run_at"] == "2026-11-24T14:00:00+00:00"


async def test_schedule_and_explicit_fields_together_are_refused(server: JobsServer) -> None:
    text = error(await call(server, "job_create", {"title": "t", "instructions": "x", "schedule": "daily at noon",
                                                   "cron": "0 12 * * *"}))
    assert text.startswith("invalid_argument: schedule:")


# --------------------------------------------------------------------------- chat phrasings through the tool


@pytest.mark.parametrize(("phrase", "now", "job_type", "cron", "fires"), [
    ("could you remind me Thursday at 4pm?", "2027-06-09T14:20:05+02:00", "ONE_OFF", None,
     ["2027-06-10T16:00:00+02:00"]),
    # Berlin springs forward on 2027-03-28: the fires after it are in CEST.
    ("every Monday and Wednesday at 7:45 and 18:30", "2027-03-24T12:00:00+01:00", "SCHEDULED",
     "45 7 * * 1,3; 30 18 * * 1,3",
     ["2027-03-24T18:30:00+01:00", "2027-03-29T07:45:00+02:00", "2027-03-29T18:30:00+02:00",
      "2027-03-31T07:45:00+02:00"]),
    ("every hour from 8am to 6pm on weekdays", "2027-06-11T16:30:00+02:00", "SCHEDULED", "0 8-18 * * 1-5",
     ["2027-06-11T17:00:00+02:00", "2027-06-11T18:00:00+02:00", "2027-06-14T08:00:00+02:00",
      "2027-06-14T09:00:00+02:00"]),
    ("jeden Freitag um 18 Uhr", "2027-06-09T14:20:05+02:00", "SCHEDULED", "0 18 * * 5",
     ["2027-06-11T18:00:00+02:00", "2027-06-18T18:00:00+02:00", "2027-06-25T18:00:00+02:00",
      "2027-07-02T18:00:00+02:00"]),
])
async def test_preview_reads_chat_phrasings_without_a_language_model(
    server: JobsServer, phrase: str, now: str, job_type: str, cron: str | None, fires: list[str]
) -> None:
    result = data(await call(server, "schedule_preview", {
        "schedule": phrase, "timezone": "Europe/Berlin", "now": now, "count": 4, "detail": "full"}))
    assert (result["job_type"], result.get("cron")) == (job_type, cron)
    assert result["fires"] == fires


async def test_create_with_times_of_different_minutes_stores_one_cron_line_each(server: JobsServer) -> None:
    async with Client(server) as client:
        created = data(await client.call_tool("job_create", {
            "title": "Meds", "instructions": "Take them", "schedule": "every Monday and Wednesday at 7:45 and 18:30",
            "timezone": "America/New_York", "action": "notify"}))
        job = data(await client.call_tool("job_retrieval_by_id", {"job_id": created["job"]["id"],
                                                                  "detail": "full"}))["job"]
    assert job["job_type"] == "SCHEDULED" and job["cron"] == "45 7 * * 1,3; 30 18 * * 1,3"
    assert job["schedule_summary"].startswith("Every Monday and Wednesday at 07:45 and 18:30")
    # Now is Tuesday 2026-11-24 07:00 in New York: next Wednesday morning, then its evening.
    assert created["next_fires"][:2] == ["2026-11-25T07:45:00-05:00", "2026-11-25T18:30:00-05:00"]


async def test_an_ongoing_job_takes_a_wall_clock_schedule(server: JobsServer) -> None:
    async with Client(server) as client:
        created = data(await client.call_tool("job_create", {
            "title": "Kettle", "instructions": "Check the kettle price", "job_type": "ONGOING",
            "schedule": "every day at 8am", "timezone": "Europe/Berlin", "end_condition": "it costs under 30 EUR"}))
        job = data(await client.call_tool("job_retrieval_by_id", {"job_id": created["job"]["id"],
                                                                  "detail": "full"}))["job"]
    assert (job["job_type"], job["cron"], job["end_condition"]) == ("ONGOING", "0 8 * * *", "it costs under 30 EUR")
    assert created["job"]["schedule_summary"] == "Daily at 08:00 (Europe/Berlin)"
    # Now is 2026-11-24 13:00 in Berlin: tomorrow morning, then each morning.
    assert created["next_fires"] == ["2026-11-25T08:00:00+01:00", "2026-11-26T08:00:00+01:00",
                                     "2026-11-27T08:00:00+01:00"]
