"""The variables of the prompts, computed from a run's context and its job."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from scheduler.engine.actions import RunContext
from scheduler.schedules.job_schedule import summary_of
from scheduler.schedules.timezones import zone
from store.models import Job

OUTPUT_CHARS = 4_000  # per dependency output and for the judged output: enough to judge, bounded in tokens
NONE = "(none)"


def local_time(instant: datetime, tz_name: str) -> str:
    """'Tuesday 2026-11-24 13:00 (2026-11-24T13:00:00+01:00)': the weekday helps "every Monday" jobs."""
    local = instant.astimezone(zone(tz_name))
    return f"{local:%A %Y-%m-%d %H:%M} ({local.isoformat(timespec='seconds')})"


def job_values(job: Job, now: datetime) -> dict[str, Any]:
    """What every prompt about one job shows."""
    return {
        "job_id": job.id,
        "title": job.title,
        "instructions": job.instructions,
        "job_type": job.job_type,
        "schedule": summary_of(job),
        "end_condition": job.end_condition or NONE,
        "timezone": job.timezone,
        "now_local": local_time(now, job.timezone),
    }


def execute_values(context: RunContext) -> dict[str, Any]:
    job = context.job
    summaries = "\n".join(f"- {text}" for text in context.recent_summaries[-3:])
    return {
        **job_values(job, context.now),
        "run_number": context.run_number,
        "recent_summaries": summaries or ("(none: this is the first run)" if context.run_number <= 1 else NONE),
        "dependency_outputs": "\n\n".join(f"### {dep_id}\n{_cut(text)}"
                                          for dep_id, text in context.dependency_outputs.items()) or NONE,
        "state": json.dumps(job.state, ensure_ascii=False, indent=1, sort_keys=True) if job.state else NONE,
        "guidance": "\n".join(f"- {note}" for note in job.guidance) or NONE,
    }


def judge_values(context: RunContext, summary: str, message: str, output: str) -> dict[str, Any]:
    return {
        **job_values(context.job, context.now),
        "run_number": context.run_number,
        "summary": summary or NONE,
        "message": message or NONE,
        "output": _cut(output) or NONE,
    }


def _cut(text: str) -> str:
    return text if len(text) <= OUTPUT_CHARS else text[:OUTPUT_CHARS] + "\n(cut)"
