"""Fallback for plain-words schedules the grammar cannot read: ask the model for the explicit fields.

The answer is never trusted as is: the caller validates and previews it with the same
code as explicit fields, and without an LLM (or with an unsure model) the grammar's
error stands.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

import anyio.to_thread

from scheduler.clock import Clock
from scheduler.engine.actions import Usage
from scheduler.jobs.quotas import QuotaCheck
from scheduler.llm.client import LLM, sdk_error
from scheduler.llm.judge import tool_input
from scheduler.llm.prompts import render
from scheduler.schedules.phrases import EXAMPLES
from scheduler.schedules.timezones import zone
from store.errors import LimitExceeded

log = logging.getLogger(__name__)
TOOL_NAME = "explicit_schedule"
FIELDS = ("job_type", "run_at", "cron", "interval_seconds", "interval_days")
TOOL = {
    "name": TOOL_NAME,
    "description": "The explicit schedule fields for the person's words.",
    "input_schema": {
        "type": "object",
        "properties": {
            "understood": {"type": "boolean", "description": "false if the words are not a schedule or unclear"},
            "job_type": {"type": "string", "enum": ["ONE_OFF", "SCHEDULED", "RECURRING"]},
            "run_at": {"type": "string", "description": "ONE_OFF: local ISO 8601 time without offset"},
            "cron": {"type": "string", "description": "SCHEDULED: 5-field cron line in the time zone"},
            "interval_seconds": {"type": "integer", "minimum": 1},
            "interval_days": {"type": "integer", "minimum": 1},
        },
        "required": ["understood"],
    },
}


async def translate_schedule(llm: LLM, text: str, tz_name: str, now: datetime) -> tuple[dict[str, Any] | None,
                                                                                         Usage]:
    """The explicit fields the model reads in `text`, or None when it is unsure or unreachable."""
    usage = Usage()
    system = render("schedule", text=text, timezone=tz_name, examples=EXAMPLES,
                    now_local=now.astimezone(zone(tz_name)).strftime("%A %Y-%m-%d %H:%M (%z)"))
    try:
        reply = await llm.create(usage, model=llm.config.judge_model, max_tokens=300, system=system,
                                 messages=[{"role": "user", "content": text}], tools=[TOOL],
                                 tool_choice={"type": "tool", "name": TOOL_NAME})
    except sdk_error() as exc:
        log.warning("schedule fallback: the LLM call failed: %s", type(exc).__name__)
        return None, usage
    answer = tool_input(reply.content, TOOL_NAME)
    if not isinstance(answer, dict) or answer.get("understood") is not True:
        return None, usage
    fields = {name: answer[name] for name in FIELDS if answer.get(name) not in (None, "")}
    return (fields or None), usage


class ScheduleReader:
    """translate_schedule with a short memory: the same words in the same zone read the same for `ttl`.

    A reading the person is asked to confirm is read again on the confirming call (and on every
    round of an input-required call); the model must not answer differently in between.
    """

    def __init__(self, llm: LLM, clock: Clock, quotas: QuotaCheck | None = None,
                 ttl: timedelta = timedelta(minutes=10)) -> None:
        self.llm, self.clock, self.quotas, self.ttl = llm, clock, quotas, ttl
        self._readings: dict[tuple[str, str], tuple[datetime, dict[str, Any] | None]] = {}

    async def read(self, text: str, tz_name: str, owner: str) -> dict[str, Any] | None:
        """The model's reading, or None; None without a call when `owner`'s daily LLM spend is used up
        (the grammar's answer then stands). A call's cost counts towards that spend."""
        now = self.clock.now()
        self._readings = {key: kept for key, kept in self._readings.items() if now - kept[0] < self.ttl}
        key = (" ".join(text.split()).casefold(), tz_name)
        if key not in self._readings:
            if self.quotas is not None:
                try:
                    await anyio.to_thread.run_sync(self.quotas.before_llm_run, owner, now)
                except LimitExceeded:
                    log.info("schedule reading skipped: owner %s used up the daily LLM spend", owner)
                    return None
            fields, usage = await translate_schedule(self.llm, text, tz_name, now)
            if self.quotas is not None:
                await anyio.to_thread.run_sync(self.quotas.spent_outside_run, owner, now, usage.cost_usd,
                                               "schedule")
            self._readings[key] = (now, fields)
        return self._readings[key][1]
