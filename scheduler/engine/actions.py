"""What a run executes: the contract between the engine and the job's action.

The engine (poller + runner) builds a `RunContext`, awaits the action, and
applies the `ActionResult`: run row, verdict, next fire, saved state, and the
message for the person, in one transaction. `notify` jobs use `NotifyAction`;
`agent` jobs use the LLM pipeline, which implements the same protocol.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from scheduler.jobs.job_input import JobInput
from store.enums import RunOutcome, Verdict
from store.models import Job


@dataclass
class Usage:
    """Tokens of one run, summed over its calls, and their cost."""

    tokens_in: int = 0
    tokens_out: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cost_usd: float = 0.0

    def merge(self, other: Usage) -> None:
        self.tokens_in += other.tokens_in
        self.tokens_out += other.tokens_out
        self.cache_read_tokens += other.cache_read_tokens
        self.cache_write_tokens += other.cache_write_tokens
        self.cost_usd += other.cost_usd

    def fields(self) -> dict[str, Any]:
        """As ActionResult's keyword arguments."""
        return {"tokens_in": self.tokens_in, "tokens_out": self.tokens_out,
                "cache_read_tokens": self.cache_read_tokens, "cache_write_tokens": self.cache_write_tokens,
                "cost_usd": round(self.cost_usd, 8)}


@dataclass
class RunProgress:
    """What a run has done so far, kept current by its action as it goes: when the run is cut off (its
    time limit, job_cancel) or its action raises, the run row still gets the trace and the tokens and cost
    already spent, which count against max_cost_usd and the owner's daily spend."""

    usage: Usage = field(default_factory=Usage)
    trace: list[dict[str, Any]] = field(default_factory=list)

    def onto(self, result: ActionResult) -> ActionResult:
        """`result` (the engine's own, for a run it cut off: it has no usage or trace of its own) with what
        was done before."""
        for name, value in self.usage.fields().items():
            setattr(result, name, value)
        result.trace = list(self.trace)
        return result


@dataclass(frozen=True)
class RunContext:
    job: Job
    run_id: str
    run_number: int  # 1 for the job's first run
    attempt: int  # 1 for the first attempt at this fire
    scheduled_for: datetime
    now: datetime
    recent_summaries: list[str] = field(default_factory=list)  # newest last, at most 3
    dependency_outputs: dict[str, str] = field(default_factory=dict)  # dependency job id -> its last output
    # Creates a job for the same owner with job_create's validation (for "follow up in 3 days").
    create_followup: Callable[[JobInput], Job] | None = None
    progress: RunProgress = field(default_factory=RunProgress)  # the action keeps it current


@dataclass
class ActionResult:
    outcome: RunOutcome = RunOutcome.SUCCEEDED
    # None lets the engine decide from the job's type and schedule.
    verdict: Verdict | None = None
    summary: str | None = None
    output: str | None = None
    message: str | None = None  # what the person should read, if anything
    notify: bool = True  # is this worth telling the person now?
    error: str | None = None
    retryable: bool = True  # False: a failure that another attempt cannot fix (no LLM configured)
    new_state: dict[str, Any] | None = None  # replaces the job's saved state when not None
    tokens_in: int = 0
    tokens_out: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cost_usd: float = 0.0
    trace: list[dict[str, Any]] = field(default_factory=list)


class Action(Protocol):
    async def __call__(self, context: RunContext) -> ActionResult: ...


def reminder_result(job: Job) -> ActionResult:
    """What a plain reminder's run gives: the instructions are the message."""
    text = job.instructions
    return ActionResult(summary=text[:200], output=text, message=text, notify=True)


class NotifyAction:
    """A plain reminder: the instructions are the message. No LLM, no network, no cost.

    With this action the engine fires reminders in its reminder lane (scheduler/engine/reminders.py),
    without a run slot; any other `notify` action (a test's) runs in a slot like an agent job."""

    async def __call__(self, context: RunContext) -> ActionResult:
        return reminder_result(context.job)


class NoLLMAction:
    """Stands in for the agent pipeline when no API key is configured."""

    ERROR = "no LLM configured (set ANTHROPIC_API_KEY)"

    async def __call__(self, context: RunContext) -> ActionResult:
        return ActionResult(outcome=RunOutcome.FAILED, verdict=Verdict.FAILED, error=self.ERROR, retryable=False,
                            summary=self.ERROR, notify=True, message=f"{context.job.title}: {self.ERROR}")
