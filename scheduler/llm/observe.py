"""job_observe_chat: end ONGOING jobs whose goal the person reports met in the chat.

For the owner's ACTIVE ONGOING jobs tied to the chat, a cheap keyword
pre-filter keeps those whose end condition could relate to the message; the
judge is asked once per remaining job (at most MAX_CANDIDATES); a job judged
met is COMPLETED through the lifecycle, recorded with actor "judge". The
judge may only decide about the job it is asked about: an answer naming
another job is ignored.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime

import anyio.to_thread

from scheduler.engine.actions import Usage
from scheduler.jobs.service import JobService
from scheduler.llm.client import LLM, api_error, sdk_error
from scheduler.llm.context import job_values
from scheduler.llm.judge import tool_input
from scheduler.llm.prompts import render
from store.enums import JobStatus, JobType
from store.errors import Conflict
from store.models import Job
from store.repository import JobRepository

log = logging.getLogger(__name__)
MAX_CANDIDATES = 5
JUDGE_ACTOR = "judge"
OBSERVE_TOOL = {
    "name": "record_observation",
    "description": "Record whether the person's message shows this job's end condition is met.",
    "input_schema": {"type": "object", "properties": {
        "job_id": {"type": "string"}, "met": {"type": "boolean"}, "reason": {"type": "string"}},
        "required": ["job_id", "met", "reason"]},
}
_WORD = re.compile(r"[^\W_]{3,}", re.UNICODE)
_STOP = frozenset({
    "the", "and", "for", "are", "but", "not", "you", "your", "with", "this", "that", "have", "has", "had",
    "was", "were", "will", "would", "can", "could", "should", "from", "they", "them", "their", "there", "then",
    "than", "when", "what", "which", "who", "whom", "been", "being", "into", "about", "just", "only", "also",
    "its", "our", "out", "over", "some", "such", "very", "more", "most", "any", "all", "each", "other", "let",
    "get", "got", "one", "ich", "und", "der", "die", "das", "ist", "nicht",
})
_STEM = 5  # compare words by their first letters: "booked"/"booking", "offer"/"offers"


@dataclass(frozen=True)
class Observation:
    job_id: str
    title: str
    met: bool
    reason: str


@dataclass
class ObserveReport:
    completed: list[Observation] = field(default_factory=list)
    checked: list[Observation] = field(default_factory=list)
    skipped_unrelated: int = 0
    usage: Usage = field(default_factory=Usage)
    errors: list[str] = field(default_factory=list)


def _stems(text: str) -> set[str]:
    return {w[:_STEM] for w in (m.lower() for m in _WORD.findall(text)) if w not in _STOP}


def could_relate(message: str, job: Job) -> bool:
    """The keyword pre-filter: does the message share a word (by stem) with the job's goal?"""
    return bool(_stems(message) & _stems(f"{job.end_condition or ''} {job.title}"))


def candidates(repo: JobRepository, owner: str, chat_id: str) -> list[Job]:
    page = repo.list_jobs(owner, statuses=[JobStatus.ACTIVE.value], job_types=[JobType.ONGOING.value], limit=200)
    return [job for job in page.jobs if job.chat_id == chat_id and job.end_condition]


class ChatObserver:
    def __init__(self, llm: LLM, service: JobService) -> None:
        self.llm = llm
        self.service = service
        self.repo = service.repo

    async def observe(self, owner: str, chat_id: str, message: str, now: datetime) -> ObserveReport:
        """LimitExceeded, before any call, if the owner's daily LLM spend is used up; what the calls cost
        counts towards it."""
        report = ObserveReport()
        jobs = await anyio.to_thread.run_sync(candidates, self.repo, owner, chat_id)
        related = [job for job in jobs if could_relate(message, job)]
        report.skipped_unrelated = len(jobs) - len(related)
        if not related:
            return report
        quotas = self.service.quotas
        await anyio.to_thread.run_sync(quotas.before_llm_run, owner, now)
        try:
            await self._judge(related, message, now, report)
        finally:
            await anyio.to_thread.run_sync(quotas.spent_outside_run, owner, now, report.usage.cost_usd, "observe")
        return report

    async def _judge(self, related: list[Job], message: str, now: datetime, report: ObserveReport) -> None:
        for job in related[:MAX_CANDIDATES]:
            try:
                observation = await self._ask(job, message, now, report.usage)
            except sdk_error() as exc:
                log.warning("observe: judge call failed for %s", job.id, exc_info=exc)
                report.errors.append(f"{job.id}: {api_error(exc)[0]}")
                continue
            report.checked.append(observation)
            if observation.met and await anyio.to_thread.run_sync(self._complete, job, observation, now):
                report.completed.append(observation)

    async def _ask(self, job: Job, message: str, now: datetime, usage: Usage) -> Observation:
        values = job_values(job, now)
        prompt = render("observe", job_id=job.id, title=job.title, instructions=job.instructions,
                        end_condition=values["end_condition"], timezone=job.timezone, now_local=values["now_local"],
                        chat_message=message)
        config = self.llm.config
        reply = await self.llm.create(usage, model=config.judge_model, max_tokens=config.judge_max_tokens,
                                      tools=[OBSERVE_TOOL], tool_choice={"type": "tool", "name": OBSERVE_TOOL["name"]},
                                      messages=[{"role": "user", "content": prompt}])
        answer = tool_input(reply.content, OBSERVE_TOOL["name"])
        if not isinstance(answer, dict) or answer.get("job_id") != job.id:
            return Observation(job.id, job.title, False, "the judge's answer was not about this job; ignored")
        return Observation(job.id, job.title, answer.get("met") is True, str(answer.get("reason") or ""))

    def _complete(self, job: Job, observation: Observation, now: datetime) -> bool:
        """ACTIVE -> COMPLETED if the job is still ACTIVE (a run or an edit may have moved it on)."""
        reason = f"goal met, observed in chat: {observation.reason}"[:2000]
        try:
            self.service.complete(job.owner, job.id, reason, actor=JUDGE_ACTOR)
        except Conflict:  # StaleVersion included: it changed meanwhile, leave it to its new state
            return False
        return True
