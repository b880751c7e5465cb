"""The verdict mapping rule, the price table and the cost limit helper."""

from __future__ import annotations

import pytest

from scheduler.engine.actions import Usage
from scheduler.engine.budget import cost_exceeded
from scheduler.jobs.job_input import JobInput
from scheduler.jobs.service import JobService
from scheduler.llm.judge import interpret
from scheduler.llm.pricing import PriceTable
from store.costs import job_costs
from store.enums import JobType, Verdict

ID = "job_0123456789ab"
C, N, F = Verdict.COMPLETED, Verdict.CONTINUE, Verdict.FAILED


@pytest.mark.parametrize(("job_type", "said", "applied"), [
    (JobType.ONE_OFF, "completed", C), (JobType.ONE_OFF, "continue", C), (JobType.ONE_OFF, "failed", F),
    (JobType.SCHEDULED, "completed", N), (JobType.SCHEDULED, "continue", N), (JobType.SCHEDULED, "failed", F),
    (JobType.RECURRING, "completed", N), (JobType.RECURRING, "continue", N), (JobType.RECURRING, "failed", F),
    (JobType.ONGOING, "completed", C), (JobType.ONGOING, "continue", N), (JobType.ONGOING, "failed", F),
    (JobType.ONE_OFF, "done!", C), (JobType.RECURRING, "done!", N), (JobType.ONGOING, None, N),
])
def test_verdict_mapping_table(job_type: JobType, said: str | None, applied: Verdict) -> None:
    answer = {"job_id": ID, "verdict": said, "reason": "r", "notify": True, "message": "m"}
    assert interpret(ID, job_type, answer, "draft").verdict == applied


def test_an_answer_about_another_job_or_no_answer_keeps_the_default_and_the_draft() -> None:
    other = interpret(ID, JobType.ONGOING, {"job_id": "job_other", "verdict": "completed", "notify": False,
                                            "message": "x"}, "draft")
    assert (other.verdict, other.message, other.notify) == (N, "draft", True)
    assert interpret(ID, JobType.ONE_OFF, None, "").verdict == C


def test_price_table_prices_each_kind_of_token_and_matches_dated_names() -> None:
    table = PriceTable()
    usage = Usage()

    class ApiUsage:
        input_tokens, output_tokens, cache_creation_input_tokens, cache_read_input_tokens = 1_000_000, 100_000, 0, 0

    table.add(usage, "claude-haiku-4-5-20251001", ApiUsage())
    assert usage.cost_usd == pytest.approx(1.0 + 0.5)
    table.add(usage, "some-local-model", ApiUsage())  # unknown: tokens counted, cost 0
    assert usage.tokens_in == 2_000_000 and usage.cost_usd == pytest.approx(1.5)


def test_price_file_adds_models_and_names_bad_fields() -> None:
    table = PriceTable.from_json('{"local-llama": {"input": 0.1, "output": 0.2}}')
    price = table.price_of("local-llama")
    assert price is not None and (price.input, price.output, price.cache_write) == (0.1, 0.2, 0.0)
    assert table.price_of("claude-sonnet-4-6") is not None
    with pytest.raises(ValueError, match="local-llama.output"):
        PriceTable.from_json('{"local-llama": {"input": 1, "output": -2}}')


def test_cost_limit(service: JobService) -> None:
    job = service.create("alice", JobInput(title="t", instructions="i", max_cost_usd=0.5)).job
    assert job.max_cost_usd == 0.5
    assert cost_exceeded(job, 0.5) is None
    reason = cost_exceeded(job, 0.75)
    assert reason is not None and "cost limit exceeded" in reason and "$0.7500" in reason
    assert cost_exceeded(job.model_copy(update={"max_cost_usd": None}), 99.0) is None
    assert job_costs(service.repo, "alice", [job.id]) == {}
