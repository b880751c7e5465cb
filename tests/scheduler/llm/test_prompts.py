"""Every prompt file renders with exactly its variables; a missing or unused variable is an error."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from scheduler.engine.actions import RunContext
from scheduler.llm.context import execute_values, job_values, judge_values
from scheduler.llm.prompts import PromptError, prompt_names, render, variables_of
from store.models import Job

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def sample_job() -> Job:
    return Job(id="job_0123456789ab", owner="alice", title="Flight", instructions="Find a flight to Lisbon",
               job_type="ONGOING", interval_seconds=86_400, timezone="America/New_York", status="ACTIVE",
               end_condition="a flight is booked", created_at=NOW, updated_at=NOW, anchor_at=NOW)


def sample_values() -> dict[str, dict[str, object]]:
    """The variables each prompt is rendered with by the pipeline (a new prompt must be listed here)."""
    job = sample_job()
    context = RunContext(job=job, run_id="run_1", run_number=2, attempt=1, scheduled_for=NOW, now=NOW,
                         recent_summaries=["no flight under 300 USD"])
    values = job_values(job, NOW)
    return {
        "execute": execute_values(context),
        "judge": judge_values(context, "checked", "No flight yet", "prices: 410, 380"),
        "schedule": {"text": "every other full moon", "timezone": job.timezone, "now_local": values["now_local"],
                     "examples": "'every Monday at 9am'"},
        "observe": {"job_id": job.id, "title": job.title, "instructions": job.instructions,
                    "end_condition": values["end_condition"], "timezone": job.timezone,
                    "now_local": values["now_local"], "chat_message": "I booked it!"},
    }


def test_every_prompt_file_renders_with_its_variables() -> None:
    samples = sample_values()
    names = prompt_names()
    assert set(names) == set(samples), "every file in scheduler/llm/prompts/ needs its variables in sample_values()"
    for name in names:
        assert variables_of(name) == set(samples[name]), name
        text = render(name, **samples[name])
        assert "$" not in text.replace("$$", ""), name
    execute = render("execute", **samples["execute"])
    assert "Tuesday 2026-11-24 07:00 (2026-11-24T07:00:00-05:00)" in execute
    assert "This is run number 2." in execute and "- no flight under 300 USD" in execute


def test_missing_or_unused_variables_are_errors(tmp_path: Path) -> None:
    values = sample_values()["judge"]
    with pytest.raises(PromptError, match="missing output"):
        render("judge", **{k: v for k, v in values.items() if k != "output"})
    with pytest.raises(PromptError, match="unused surprise"):
        render("judge", **values, surprise=1)
    (tmp_path / "bad.md").write_text("costs $5 and $")
    with pytest.raises(PromptError, match="malformed"):
        render("bad", tmp_path)
    with pytest.raises(PromptError, match="cannot be read"):
        render("nope", tmp_path)
