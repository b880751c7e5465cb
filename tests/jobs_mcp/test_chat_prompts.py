"""The remind and watch prompts: what they tell a client to call is a call the server accepts and means."""

from __future__ import annotations

import json
import re
from typing import Any

from mcp import Client

from jobs_mcp.server import JobsServer
from tests.jobs_mcp.test_tools_http import data


def the_call(text: str) -> dict[str, Any]:
    """The job_create arguments a prompt's text carries (one JSON object)."""
    match = re.search(r"\{.*\}", text)
    assert match is not None, text
    return json.loads(match.group(0))  # type: ignore[no-any-return]


async def test_both_prompts_are_listed_with_their_arguments(server: JobsServer) -> None:
    async with Client(server) as client:
        prompts = {p.name: p for p in (await client.list_prompts()).prompts}
    assert set(prompts) >= {"remind", "watch"}
    remind = {a.name: a.required for a in prompts["remind"].arguments or []}
    watch = {a.name: a.required for a in prompts["watch"].arguments or []}
    assert remind == {"what": True, "when": True, "timezone": False, "chat_id": False}
    assert watch == {"what": True, "until": True, "how_often": False, "timezone": False, "chat_id": False}


async def test_remind_renders_a_notify_job_the_server_creates_as_meant(server: JobsServer) -> None:
    async with Client(server) as client:
        prompt = await client.get_prompt("remind", {"what": "Call the dentist to book a check-up",
                                                    "when": "Thursday at 4pm", "timezone": "Europe/Berlin",
                                                    "chat_id": "c-7"})
        text = prompt.messages[0].content.text  # type: ignore[union-attr]
        call = the_call(text)
        created = data(await client.call_tool("job_create", call))
    assert call == {"title": "Call the dentist to book a check-up", "instructions": "Call the dentist to book a "
                    "check-up", "schedule": "Thursday at 4pm", "action": "notify", "timezone": "Europe/Berlin",
                    "chat_id": "c-7"}
    assert "schedule_summary" in text and "job_inbox" in text
    # Now is Tuesday 2026-11-24: Thursday 16:00 in Berlin, once.
    assert created["next_fires"] == ["2026-11-26T16:00:00+01:00"]


async def test_watch_renders_an_ongoing_agent_job_the_server_creates_as_meant(server: JobsServer) -> None:
    long_target = "the price of the Pro plan on https://example.com/pricing, compared with the Team plan " * 2
    async with Client(server) as client:
        prompt = await client.get_prompt("watch", {"what": long_target, "until": "the Pro plan costs under $20"})
        text = prompt.messages[0].content.text  # type: ignore[union-attr]
        call = the_call(text)
        created = data(await client.call_tool("job_create", call))
        job = data(await client.call_tool("job_retrieval_by_id", {"job_id": created["job"]["id"],
                                                                  "detail": "full"}))["job"]
    assert call["job_type"] == "ONGOING" and call["end_condition"] == "the Pro plan costs under $20"
    assert len(call["title"]) <= 67 and call["title"].endswith("…")
    assert "action" not in call  # the default, agent: the LLM checks and the judge decides
    assert (job["job_type"], job["cron"]) == ("ONGOING", "0 9 * * *")
    assert "job_observe_chat" in text
