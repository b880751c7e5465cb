"""job_observe_chat over the MCP client: the judge completes ONGOING jobs whose goal the chat reports met."""

from __future__ import annotations

from typing import Any

from mcp import Client

from jobs_mcp.app import App, build_app
from jobs_mcp.config import Settings
from jobs_mcp.server import JobsServer, build_server
from scheduler.clock import FakeClock
from scheduler.jobs.job_input import JobInput
from store.models import Job
from tests.jobs_mcp.test_tools_http import data, error
from tests.support.fake_anthropic import FakeMessagesAPI, observation


def ongoing(state: App, title: str, end_condition: str, chat_id: str = "chat-1", owner: str = "local") -> Job:
    data = JobInput(title=title, instructions=f"Ask about: {title}", job_type="ONGOING", interval_days=1,
                    end_condition=end_condition, chat_id=chat_id)
    return state.service.create(owner, data).job


async def observe(server: JobsServer, message: str, chat_id: str = "chat-1") -> Any:
    async with Client(server) as client:
        return await client.call_tool("job_observe_chat", {"message": message, "chat_id": chat_id})


async def test_a_goal_reported_in_chat_completes_its_ongoing_job(
        llm_state: App, llm_server: JobsServer, fake_api: FakeMessagesAPI) -> None:
    flight = ongoing(llm_state, "Flight to Lisbon", "a flight to Lisbon is booked")
    ongoing(llm_state, "Gym habit", "I went to the gym three times in one week")  # unrelated: not asked about
    ongoing(llm_state, "Lisbon hotel", "a hotel in Lisbon is booked", chat_id="other-chat")  # another chat
    ongoing(llm_state, "Lisbon trip of bob", "a flight to Lisbon is booked", owner="bob")  # another owner
    fake_api.add(observation(flight.id, True, "'I booked the flight to Lisbon'"))
    result = data(await observe(llm_server, "Great news: I booked the flight to Lisbon for May!"))
    assert [j["job_id"] for j in result["completed"]] == [flight.id]
    assert result["skipped_unrelated"] == 1 and len(fake_api.bodies) == 1
    assert fake_api.bodies[0]["tool_choice"] == {"type": "tool", "name": "record_observation"}
    assert "I booked the flight to Lisbon" in fake_api.bodies[0]["messages"][0]["content"]
    done = llm_state.service.get("local", flight.id)
    assert done.status == "COMPLETED" and done.next_run_at is None
    last = llm_state.service.events("local", flight.id)[-1]
    assert (last.from_status, last.to_status, last.actor) == ("ACTIVE", "COMPLETED", "judge")
    assert last.reason is not None and last.reason.startswith("goal met, observed in chat")


async def test_a_goal_not_met_or_an_answer_about_another_job_changes_nothing(
        llm_state: App, llm_server: JobsServer, fake_api: FakeMessagesAPI) -> None:
    flight = ongoing(llm_state, "Flight to Lisbon", "a flight to Lisbon is booked")
    fake_api.add(observation(flight.id, False, "only planned"))
    result = data(await observe(llm_server, "I will book the flight to Lisbon tomorrow"))
    assert result["completed"] == [] and result["checked"][0]["met"] is False
    fake_api.add(observation("job_000000000000", True))
    result = data(await observe(llm_server, "Booked the Lisbon flight"))
    assert result["completed"] == [] and result["checked"], result["note"]
    assert "ignored" in result["checked"][0]["reason"]
    assert llm_state.service.get("local", flight.id).status == "ACTIVE"


async def test_observe_refuses_an_empty_message(llm_server: JobsServer) -> None:
    assert error(await observe(llm_server, "   ")).startswith("invalid_argument: message")


async def test_observe_without_an_llm_says_so(sqlite_url: str, clock: FakeClock) -> None:
    state = build_app(Settings(database_url=sqlite_url), clock)
    ongoing(state, "Flight", "a flight is booked")
    result = data(await observe(build_server(state), "I booked it"))
    state.close()
    assert result["completed"] == [] and result["note"] == "no LLM configured (set ANTHROPIC_API_KEY)"


async def test_job_create_takes_max_cost_and_runs_show_the_total(
        llm_state: App, llm_server: JobsServer, fake_api: FakeMessagesAPI) -> None:
    async with Client(llm_server) as client:
        created = data(await client.call_tool("job_create", {"title": "t", "instructions": "i",
                                                             "max_cost_usd": 0.25}))
        stored = data(await client.call_tool("job_retrieval_by_id", {"job_id": created["job"]["id"],
                                                                     "detail": "full"}))
        assert stored["job"]["max_cost_usd"] == 0.25
        refused = error(await client.call_tool("job_create", {"title": "t", "instructions": "i",
                                                              "max_cost_usd": -1}))
        assert refused.startswith("invalid_argument: max_cost_usd")
        updated = data(await client.call_tool("job_update", {"job_id": created["job"]["id"], "max_cost_usd": 1.5}))
        assert updated["job"]["max_cost_usd"] == 1.5
        runs = data(await client.call_tool("job_retrieval_by_id", {"job_id": created["job"]["id"]}))
        assert runs["runs"] == [] and "total_cost_usd" not in runs  # nothing spent: the default is left out


async def test_one_judge_call_per_candidate_at_most(
        llm_state: App, llm_server: JobsServer, fake_api: FakeMessagesAPI) -> None:
    jobs = [ongoing(llm_state, f"Lisbon task {i}", f"the Lisbon booking number {i} is done") for i in range(3)]
    fake_api.add(*(observation(j.id, False) for j in reversed(jobs)))  # newest first
    result = data(await observe(llm_server, "Lisbon booking is done"))
    assert len(result["checked"]) == 3 and len(fake_api.bodies) == 3
    assert len({b["messages"][0]["content"] for b in fake_api.bodies}) == 3


async def test_observe_spend_counts_towards_the_daily_limit_and_a_used_up_limit_refuses(
        tight_spend_state: App, fake_api: FakeMessagesAPI) -> None:
    server = build_server(tight_spend_state)
    flight = ongoing(tight_spend_state, "Flight to Lisbon", "a flight to Lisbon is booked")
    fake_api.add(observation(flight.id, False, "only planned"))
    first = data(await observe(server, "I will book the flight to Lisbon"))
    assert first["cost_usd"] > 0.0001  # 100 tokens in, 20 out on the judge model: over this tiny limit
    refused = error(await observe(server, "Booked the Lisbon flight now"))
    assert refused.startswith("limit_exceeded: $0.0001 LLM spend per owner per UTC day")
    assert len(fake_api.bodies) == 1  # the refused call never reached the model
