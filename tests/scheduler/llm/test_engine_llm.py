"""Agent jobs through the real engine (tick/drain on a fake clock) with AgentAction and the fake API."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import anyio

from jobs_mcp.config import Settings
from jobs_mcp.llm_setup import build_agent_action
from scheduler.clock import FakeClock
from scheduler.engine.actions import NoLLMAction
from scheduler.jobs.quotas import QuotaCheck, Quotas
from scheduler.llm.agent_action import AgentAction
from scheduler.llm.client import LLM
from store.repository import JobRepository
from tests.scheduler.engine.conftest import Engine, make_engine
from tests.support.fake_anthropic import HANG, FakeMessagesAPI, finish, reply, text, tool_use, verdict


def agent_engine(repo: JobRepository, clock: FakeClock, llm: LLM) -> Engine:
    return make_engine(repo, clock, agent=AgentAction(llm))  # type: ignore[arg-type]


async def fire(engine: Engine, job_id: str) -> None:
    engine.clock.set(engine.job(job_id).next_run_at)  # type: ignore[arg-type]
    with anyio.fail_after(20):
        await engine.poller.tick()
        await engine.poller.drain()


async def test_ongoing_job_is_completed_by_the_judge_on_run_3(
        repo: JobRepository, clock: FakeClock, llm: LLM, fake_api: FakeMessagesAPI) -> None:
    engine = agent_engine(repo, clock, llm)
    job = engine.create(job_type="ONGOING", interval_seconds=3600, end_condition="the kettle costs under 30 EUR",
                        title="Kettle price", instructions="Check the kettle's price")
    for run, (price, said) in enumerate([("42", "continue"), ("35", "continue"), ("29", "completed")], start=1):
        fake_api.add(finish(f"price {price}", f"The kettle costs {price} EUR", tokens_in=1000),
                     verdict(job.id, said, notify=said == "completed", message=f"{price} EUR"))
        await fire(engine, job.id)
        assert engine.job(job.id).status == ("COMPLETED" if run == 3 else "ACTIVE")
    done = engine.job(job.id)
    assert done.run_count == 3 and done.next_run_at is None
    runs = engine.run_rows(job.id)
    assert [r.verdict for r in runs] == ["continue", "continue", "completed"]
    assert all(r.tokens_in == 1100 and r.cost_usd > 0 for r in runs)
    assert runs[1].summary == "price 35"
    # Run 2's prompt showed run 1's summary: the job remembers between runs.
    assert "- price 42" in fake_api.bodies[2]["system"][0]["text"]
    assert "This is run number 3." in fake_api.bodies[4]["system"][0]["text"]


async def test_500_until_the_attempts_run_out_fails_the_job(
        repo: JobRepository, clock: FakeClock, llm: LLM, fake_api: FakeMessagesAPI) -> None:
    engine = agent_engine(repo, clock, llm)
    job = engine.create(max_attempts=2)  # ONE_OFF agent job; the fake answers 500 to everything
    await fire(engine, job.id)
    retrying = engine.job(job.id)
    assert retrying.status == "ACTIVE" and retrying.attempt == 1 and "LLM API error 500" in (retrying.last_error or "")
    await fire(engine, job.id)
    failed = engine.job(job.id)
    assert failed.status == "FAILED" and "LLM API error 500" in (failed.last_error or "")
    assert engine.outcomes(job.id) == ["failed", "failed"]
    assert len(fake_api.bodies) == 6  # two attempts, each the SDK's first try and two retries


async def test_a_run_that_outlives_its_timeout_is_recorded_timed_out(
        repo: JobRepository, clock: FakeClock, llm: LLM, fake_api: FakeMessagesAPI) -> None:
    engine = agent_engine(repo, clock, llm)
    job = engine.create(timeout_seconds=30, max_attempts=1)  # the test runner scales it to 0.3 s
    fake_api.add(HANG)
    await fire(engine, job.id)
    [run] = engine.run_rows(job.id)
    assert run.outcome == "timed_out" and run.error == "timed out after 30 s"
    assert engine.job(job.id).status == "FAILED"


async def test_a_run_cut_off_by_its_timeout_keeps_its_trace_tokens_and_cost(
        repo: JobRepository, clock: FakeClock, llm: LLM, fake_api: FakeMessagesAPI) -> None:
    engine = agent_engine(repo, clock, llm)
    # 5 s once the test runner scales it: time for the first call on a busy machine, then the second hangs.
    job = engine.create(timeout_seconds=500, max_attempts=3, max_cost_usd=0.001)
    fake_api.add(reply(text("Noting where I am"), tool_use("save_state", {"state": {"page": 2}}), tokens_in=5000,
                       tokens_out=400), HANG)
    await fire(engine, job.id)
    [run] = engine.run_rows(job.id)
    assert run.outcome == "timed_out", (run, len(fake_api.bodies))
    assert (run.tokens_in, run.tokens_out) == (5000, 400) and run.cost_usd > 0.001, (run.trace, len(fake_api.bodies))
    steps = [(step["step"], step.get("tool")) for step in run.trace]
    assert steps == [("turn", None), ("tool", "save_state")], run.trace
    # What it spent counts: instead of another attempt, the job is stopped at its cap.
    assert engine.job(job.id).status == "BLOCKED"


def test_without_an_api_key_agent_jobs_get_the_no_llm_action(sqlite_url: str) -> None:
    assert isinstance(build_agent_action(Settings(database_url=sqlite_url)), NoLLMAction)
    with_key = build_agent_action(Settings(database_url=sqlite_url, anthropic_api_key="k",
                                           anthropic_base_url="http://127.0.0.1:9", fetch_allow=("127.0.0.1",)))
    assert isinstance(with_key, AgentAction)
    assert with_key.llm.config.base_url == "http://127.0.0.1:9"


async def test_without_an_api_key_the_run_fails_saying_so(repo: JobRepository, clock: FakeClock) -> None:
    engine = make_engine(repo, clock, agent=NoLLMAction())  # type: ignore[arg-type]
    job = engine.create()
    await fire(engine, job.id)
    failed: Any = engine.job(job.id)
    assert failed.status == "FAILED" and failed.last_error == "no LLM configured (set ANTHROPIC_API_KEY)"


async def test_an_owner_over_the_daily_spend_gets_no_llm_call_until_the_next_utc_day(
        repo: JobRepository, clock: FakeClock, llm: LLM, fake_api: FakeMessagesAPI) -> None:
    quotas = QuotaCheck(repo, Quotas(max_daily_spend_usd=0.001))
    engine = make_engine(repo, clock, agent=AgentAction(llm, quotas))  # type: ignore[arg-type]
    job = engine.create(interval_seconds=3600, max_attempts=5, misfire_grace_seconds=86_400, title="Kettle price",
                        instructions="Check it")
    fake_api.add(finish("price 42", "42 EUR", tokens_in=1000), verdict(job.id, "continue", notify=False))
    await fire(engine, job.id)  # under the limit: runs, and its cost takes the owner over it
    assert engine.run_rows(job.id)[0].cost_usd > 0.001

    await fire(engine, job.id)
    refused = engine.run_rows(job.id)[1]
    assert refused.outcome == "failed" and refused.cost_usd == 0
    assert (refused.error or "").startswith("limit_exceeded: $0.001 LLM spend per owner per UTC day "
                                            "(JOBS_MCP_MAX_DAILY_SPEND_USD); $0.0035 spent since 2026-11-24")
    assert len(fake_api.bodies) == 2  # the refused run called nothing
    waiting = engine.job(job.id)
    assert waiting.status == "ACTIVE" and waiting.attempt == 1  # retried like any failure

    clock.set(clock.now().replace(hour=0, minute=0) + timedelta(days=1))  # a new UTC day: the retry is due
    fake_api.add(finish("price 40", "40 EUR"), verdict(job.id, "continue", notify=False))
    with anyio.fail_after(20):
        await engine.poller.tick()
        await engine.poller.drain()
    outcomes = engine.outcomes(job.id)  # the hourly fires of the night in between are recorded missed
    assert outcomes[:2] == ["succeeded", "failed"] and outcomes[-1] == "succeeded" and len(fake_api.bodies) == 4
