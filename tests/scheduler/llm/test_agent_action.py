"""AgentAction end to end against the fake Messages API: tool loop, state, judge, cost, failures."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import anyio
import pytest

from scheduler.clock import FakeClock
from scheduler.jobs.job_input import JobInput
from scheduler.jobs.service import JobService
from scheduler.llm.agent_action import AgentAction
from scheduler.llm.client import LLM
from scheduler.llm.tools import TOOL_SCHEMAS
from store.enums import JobAction, JobType, RunOutcome, Verdict
from store.errors import InvalidArgument
from store.models import Job
from tests.scheduler.llm.conftest import context_for
from tests.support.fake_anthropic import HANG, FakeMessagesAPI, Status, finish, reply, text, tool_use, verdict

OWNER = "alice"


def make_job(service: JobService, **fields: Any) -> Job:
    data = {"title": "Watch the price", "instructions": "Check the price page and tell me if it changed",
            "chat_id": "chat-1", **fields}
    return service.create(OWNER, JobInput(**data)).job


def tool_results(body: dict[str, Any]) -> list[dict[str, Any]]:
    last = body["messages"][-1]
    return [b for b in last["content"] if isinstance(b, dict) and b.get("type") == "tool_result"]


def system_text(body: dict[str, Any]) -> str:
    return "".join(block["text"] for block in body["system"])


async def run(llm: LLM, job: Job, clock: FakeClock, **extra: Any) -> Any:
    with anyio.fail_after(20):
        return await AgentAction(llm)(context_for(job, clock.now(), **extra))


async def test_tool_loop_fetches_a_page_saves_state_and_finishes(
        service: JobService, clock: FakeClock, llm: LLM, fake_api: FakeMessagesAPI) -> None:
    fake_api.page("price", "<html><head><title>Shop</title><script>var x=1</script></head>"
                           "<body><h1>Kettle</h1><p>Price: 42 EUR</p></body></html>")
    job = make_job(service, interval_seconds=3600)
    url = f"{fake_api.base_url}/pages/price"  # type: ignore[attr-defined]
    fake_api.add(
        reply(text("Fetching."), tool_use("http_fetch", {"url": url}), tokens_in=1000, cache_write=2000),
        reply(tool_use("save_state", {"state": {"price": "42 EUR"}}), tokens_in=50, cache_read=2000),
        finish("Price is 42 EUR (first check).", "The kettle costs 42 EUR.", tokens_out=40),
        verdict(job.id, "continue", notify=True, message="Kettle: 42 EUR.", tokens_in=300, tokens_out=30),
    )
    result = await run(llm, job, clock)

    assert result.outcome == RunOutcome.SUCCEEDED and result.verdict == Verdict.CONTINUE
    assert result.summary == "Price is 42 EUR (first check)."
    assert result.message == "Kettle: 42 EUR." and result.notify is True
    assert result.new_state == {"price": "42 EUR"}
    first, second, third, judge = fake_api.bodies
    assert first["model"] == "claude-sonnet-4-6" and judge["model"] == "claude-haiku-4-5"
    assert first["system"][0]["cache_control"] == {"type": "ephemeral"}
    assert {t["name"] for t in first["tools"]} == {"http_fetch", "save_state", "create_followup_job", "finish"}
    [fetched] = tool_results(second)
    assert "Kettle" in fetched["content"] and "Price: 42 EUR" in fetched["content"]
    assert "var x" not in fetched["content"] and "<p>" not in fetched["content"]  # HTML reduced to text
    assert tool_results(third)[0]["content"].startswith("saved")
    assert judge["tool_choice"] == {"type": "tool", "name": "record_verdict"}
    assert "The kettle costs 42 EUR." in judge["messages"][0]["content"]
    # Tokens of all four calls, with cache writes/reads priced separately (sonnet 3/15/3.75/0.30, haiku 1/5).
    assert result.tokens_in == 1000 + 50 + 100 + 300 and result.tokens_out == 20 + 20 + 40 + 30
    assert result.cache_write_tokens == 2000 and result.cache_read_tokens == 2000
    expected = (1150 * 3 + 80 * 15 + 2000 * 3.75 + 2000 * 0.30 + 300 * 1 + 30 * 5) / 1e6
    assert result.cost_usd == pytest.approx(expected)
    assert [step.get("tool") for step in result.trace if step["step"] == "tool"] == [
        "http_fetch", "save_state", "finish"]


def _monitor_model(body: dict[str, Any]) -> dict[str, Any]:
    """A model that fetches the page, compares it with its saved state, saves the new one and finishes."""
    system = system_text(body)
    url = system.split("URL=", 1)[1].split()[0]
    results = tool_results(body) if body["messages"][-1]["role"] == "user" else []
    if not results:
        return reply(tool_use("http_fetch", {"url": url}))
    page = results[0]["content"]
    price = page.split("Price: ", 1)[1].split()[0]
    saved = json.loads(system.split("## Saved state from the previous run (JSON)\n", 1)[1].split("\n\n")[0]
                       .replace("(none)", "{}"))
    changed = saved.get("price") != price
    word = "CHANGED" if changed else "UNCHANGED"
    return reply(tool_use("save_state", {"state": {"price": price}}),
                 tool_use("finish", {"summary": f"{word}: price {price}", "message": f"Price now {price}"}))


def _monitor_judge(body: dict[str, Any]) -> dict[str, Any]:
    prompt = body["messages"][0]["content"]
    job_id = prompt.split("- Job id: ", 1)[1].split()[0]
    notify = "Summary: CHANGED" in prompt
    return verdict(job_id, "continue", notify=notify, message="The price changed" if notify else "")


async def test_monitoring_job_notifies_only_when_the_page_changed(
        service: JobService, clock: FakeClock, llm: LLM, fake_api: FakeMessagesAPI) -> None:
    url = f"{fake_api.base_url}/pages/item"  # type: ignore[attr-defined]
    job = make_job(service, interval_seconds=3600, instructions=f"Watch URL={url} and tell me when the price moves")
    notified = []
    for run_number, price in enumerate(["10", "10", "12"], start=1):
        fake_api.page("item", f"<html><body><p>Price: {price} EUR</p></body></html>")
        fake_api.add(_monitor_model, _monitor_model, _monitor_judge)
        result = await run(llm, job, clock, run_number=run_number)
        assert result.outcome == RunOutcome.SUCCEEDED
        notified.append(result.notify)
        job = job.model_copy(update={"state": result.new_state})  # what the engine stores for the next run
        clock.advance(hours=1)
    # Run 1 has no saved state: the first price is news; run 2 saw the same price; run 3 a new one.
    assert notified == [True, False, True]
    assert fake_api.page_hits == ["item", "item", "item"]


async def test_prompt_has_time_in_zone_run_number_dependencies_state_and_guidance(
        service: JobService, clock: FakeClock, llm: LLM, fake_api: FakeMessagesAPI) -> None:
    job = make_job(service, interval_days=1, timezone="Europe/Berlin")
    job = job.model_copy(update={"state": {"last_price": "41 EUR"}, "guidance": ["Only EUR prices matter"]})
    fake_api.add(finish("ok", "ok"), verdict(job.id, "continue"))
    await run(llm, job, clock, run_number=4, recent_summaries=["price 40", "price 41", "price 41"],
              dependency_outputs={"job_aaaaaaaaaaaa": "The shop list: kettle, toaster"})
    system = system_text(fake_api.bodies[0])
    # The fake clock is 2026-11-24 12:00 UTC: 13:00 in Berlin (CET), a Tuesday.
    assert "Tuesday 2026-11-24 13:00 (2026-11-24T13:00:00+01:00)" in system
    assert "This is run number 4." in system
    assert "job_aaaaaaaaaaaa" in system and "The shop list: kettle, toaster" in system
    assert '"last_price": "41 EUR"' in system
    assert "- Only EUR prices matter" in system and "- price 40" in system
    assert "Every day at" in system and job.id in system
    judge_prompt = fake_api.bodies[1]["messages"][0]["content"]
    assert "Run number: 4" in judge_prompt and "2026-11-24T13:00:00+01:00" in judge_prompt
    assert "Type: RECURRING" in judge_prompt


async def test_a_judge_answer_about_another_job_is_ignored(
        service: JobService, clock: FakeClock, llm: LLM, fake_api: FakeMessagesAPI) -> None:
    job = make_job(service, interval_seconds=3600, job_type="ONGOING", end_condition="the kettle is under 30 EUR")
    fake_api.add(finish("42 EUR", "Still 42 EUR"), verdict("job_000000000000", "completed", notify=False))
    result = await run(llm, job, clock)
    assert result.outcome == RunOutcome.SUCCEEDED and result.verdict == Verdict.CONTINUE  # ONGOING's default
    assert result.message == "Still 42 EUR"
    judged = [s for s in result.trace if s["step"] == "judge"]
    assert judged and "ignored" in judged[0]["note"]


async def test_an_unknown_verdict_falls_back_to_the_type_default(
        service: JobService, clock: FakeClock, llm: LLM, fake_api: FakeMessagesAPI) -> None:
    job = make_job(service)  # ONE_OFF, due now
    fake_api.add(finish("done", "Done."), verdict(job.id, "maybe-later"))
    result = await run(llm, job, clock)
    assert result.outcome == RunOutcome.SUCCEEDED and result.verdict == Verdict.COMPLETED


async def test_continue_on_a_one_off_is_mapped_to_completed(
        service: JobService, clock: FakeClock, llm: LLM, fake_api: FakeMessagesAPI) -> None:
    job = make_job(service)
    fake_api.add(finish("done", "Done."), verdict(job.id, "continue"))
    result = await run(llm, job, clock)
    assert result.verdict == Verdict.COMPLETED
    assert "does not apply" in [s for s in result.trace if s["step"] == "judge"][0]["note"]


async def test_judged_failed_fails_the_run_for_a_retry(
        service: JobService, clock: FakeClock, llm: LLM, fake_api: FakeMessagesAPI) -> None:
    job = make_job(service, interval_seconds=3600)
    fake_api.add(finish("page was down", "Could not read the page"), verdict(job.id, "failed", reason="HTTP 503"))
    result = await run(llm, job, clock)
    assert result.outcome == RunOutcome.FAILED and result.retryable is True and "HTTP 503" in (result.error or "")


async def test_429_is_retried_by_the_sdk_then_succeeds(
        service: JobService, clock: FakeClock, llm: LLM, fake_api: FakeMessagesAPI) -> None:
    job = make_job(service)
    fake_api.add(Status(429), finish("ok", "Done."), Status(529), verdict(job.id, "completed"))
    result = await run(llm, job, clock)
    assert result.outcome == RunOutcome.SUCCEEDED and result.message == "Done."
    assert len(fake_api.bodies) == 4


async def test_500_until_the_sdk_gives_up_is_a_retryable_failure(
        service: JobService, clock: FakeClock, llm: LLM, fake_api: FakeMessagesAPI) -> None:
    job = make_job(service)
    result = await run(llm, job, clock)  # the script is empty: every call answers 500
    assert result.outcome == RunOutcome.FAILED and result.retryable is True
    assert result.error is not None and result.error.startswith("LLM API error 500")
    assert len(fake_api.bodies) == 3  # the first try and the SDK's two retries


async def test_a_bad_request_is_not_retried(
        service: JobService, clock: FakeClock, llm: LLM, fake_api: FakeMessagesAPI) -> None:
    job = make_job(service)
    fake_api.add(Status(400, headers={}, message="max_tokens too large"))
    result = await run(llm, job, clock)
    assert result.outcome == RunOutcome.FAILED and result.retryable is False
    assert result.error == "LLM API error 400: max_tokens too large"
    assert len(fake_api.bodies) == 1


async def test_a_timeout_cancels_the_run_and_propagates(
        service: JobService, clock: FakeClock, llm: LLM, fake_api: FakeMessagesAPI) -> None:
    job = make_job(service)
    fake_api.add(HANG)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(AgentAction(llm)(context_for(job, clock.now())), 0.5)


async def test_max_turns_bounds_the_loop(
        service: JobService, clock: FakeClock, llm: LLM, fake_api: FakeMessagesAPI) -> None:
    job = make_job(service)
    limited = LLM(llm.config.__class__(**{**llm.config.__dict__, "max_turns": 2}), llm.client)
    fake_api.add(reply(tool_use("save_state", {"state": {"a": 1}})), reply(tool_use("save_state", {"state": {"a": 2}})),
                 verdict(job.id, "completed"))
    result = await run(limited, job, clock)
    assert result.outcome == RunOutcome.SUCCEEDED and result.new_state == {"a": 2}
    assert "stopped after 2 turns" in (result.summary or "")
    assert len(fake_api.bodies) == 3


async def test_state_over_the_limit_is_refused_to_the_model(
        service: JobService, clock: FakeClock, llm: LLM, fake_api: FakeMessagesAPI) -> None:
    job = make_job(service)
    fake_api.add(reply(tool_use("save_state", {"state": {"blob": "x" * 70_000}})), finish("ok", "ok"),
                 verdict(job.id, "completed"))
    result = await run(llm, job, clock)
    [refusal] = tool_results(fake_api.bodies[1])
    assert refusal["is_error"] is True and "byte limit" in refusal["content"]
    assert result.new_state is None


async def test_create_followup_job_makes_a_job_for_the_same_owner_once_per_fire(
        service: JobService, clock: FakeClock, llm: LLM, fake_api: FakeMessagesAPI) -> None:
    job = make_job(service, timezone="Europe/Berlin")

    def create(data: JobInput) -> Job:
        return service.create(job.owner, data, actor=f"job:{job.id}").job

    followup = tool_use("create_followup_job", {"title": "Follow up", "instructions": "Ask again about the kettle",
                                                "schedule": "in 3 days"})
    for _attempt in range(2):  # a retried attempt of the same fire must not create a second job
        fake_api.add(reply(followup), finish("asked", "I will follow up in 3 days"), verdict(job.id, "completed"))
        result = await run(llm, job, clock, create_followup=create)
        assert result.outcome == RunOutcome.SUCCEEDED
    jobs = [j for j in service.list(OWNER).jobs if j.title == "Follow up"]
    assert len(jobs) == 1
    assert jobs[0].chat_id == "chat-1" and jobs[0].timezone == "Europe/Berlin"
    assert jobs[0].next_run_at is not None and (jobs[0].next_run_at - clock.now()).days == 3


async def test_create_followup_without_a_factory_answers_an_error(
        service: JobService, clock: FakeClock, llm: LLM, fake_api: FakeMessagesAPI) -> None:
    job = make_job(service)
    fake_api.add(reply(tool_use("create_followup_job", {"title": "x", "instructions": "y"})), finish("ok", "ok"),
                 verdict(job.id, "completed"))
    await run(llm, job, clock)
    [answer] = tool_results(fake_api.bodies[1])
    assert answer["is_error"] is True


@pytest.mark.parametrize("url", ["http://010.010.010.010/", "http://[2002:a9fe:a9fe::]/", "http://2130706433/x",
                                 "http://[::1/", "http://exa mple.com/"])
async def test_a_refused_or_malformed_fetch_is_an_error_result_and_the_run_goes_on(
        service: JobService, clock: FakeClock, llm: LLM, fake_api: FakeMessagesAPI, url: str) -> None:
    job = make_job(service)
    fake_api.add(reply(tool_use("http_fetch", {"url": url})),
                 finish("Could not read the page.", "The page could not be fetched."),
                 verdict(job.id, "complete", notify=True, message="The page could not be fetched."))
    result = await run(llm, job, clock)

    assert result.outcome == RunOutcome.SUCCEEDED
    [fetched] = tool_results(fake_api.bodies[1])
    assert fetched["is_error"] is True
    assert fetched["content"].startswith(("malformed URL", "refused:"))


async def test_a_job_s_own_model_turn_limit_and_system_prompt(
        service: JobService, clock: FakeClock, llm: LLM, fake_api: FakeMessagesAPI) -> None:
    job = make_job(service, interval_seconds=3600, model="claude-haiku-4-5", max_turns=2,
                   system_prompt="Answer in French.")
    fake_api.add(reply(tool_use("save_state", {"state": {"n": 1}}), tokens_in=10, cache_write=3000),
                 reply(tool_use("save_state", {"state": {"n": 2}}), tokens_in=10, cache_read=3000),
                 verdict(job.id, "continue", tokens_in=0, tokens_out=0))
    result = await run(llm, job, clock)

    first, second, judge = fake_api.bodies
    assert first["model"] == second["model"] == "claude-haiku-4-5" and judge["model"] == "claude-haiku-4-5"
    ours, theirs = first["system"]
    assert "executor of a scheduled job" in ours["text"] and "cache_control" not in ours
    assert theirs["text"].endswith("Answer in French.") and theirs["cache_control"] == {"type": "ephemeral"}
    # The tool definitions are cached too: one breakpoint on the last, the same bytes every turn.
    assert [t.get("cache_control") for t in first["tools"]][-1] == {"type": "ephemeral"}
    assert sum("cache_control" in t for t in first["tools"]) == 1 and first["tools"] == second["tools"]
    assert result.summary == "stopped after 2 turns without calling finish"
    assert result.cache_write_tokens == 3000 and result.cache_read_tokens == 3000
    # haiku: 1 in, 5 out, 1.25 cache write, 0.10 cache read per million
    assert result.cost_usd == pytest.approx((20 * 1 + 40 * 5 + 3000 * 1.25 + 3000 * 0.10) / 1e6)


def test_a_job_s_model_and_limits_are_stored_and_bounded(service: JobService) -> None:
    job = make_job(service, model="claude-opus-4-6", max_turns=50, system_prompt="  Be terse.  ")
    assert (job.model, job.max_turns, job.system_prompt) == ("claude-opus-4-6", 50, "Be terse.")
    assert make_job(service).max_turns is None  # the server's default (10) applies
    with pytest.raises(InvalidArgument, match=r"^system_prompt: expected at most 4000 characters"):
        make_job(service, system_prompt="x" * 4001)
    with pytest.raises(InvalidArgument, match=r"^max_turns: expected a whole number from 1 to 50"):
        make_job(service, max_turns=51)


def test_the_followup_tool_offers_job_create_fields_only_with_their_own_vocabularies() -> None:
    """The follow-up schema is the model's short form of JobInput: a field JobInput lost, or a job type or
    action the store no longer knows, must not be offered to the model."""
    followup = next(t for t in TOOL_SCHEMAS if t["name"] == "create_followup_job")["input_schema"]["properties"]
    assert set(followup) <= set(JobInput.model_fields)
    assert followup["job_type"]["enum"] == [t.value for t in JobType]
    assert followup["action"]["enum"] == [a.value for a in JobAction]
