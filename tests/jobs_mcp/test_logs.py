"""The server's log: one line per run with its ids as fields, text or JSON, libraries kept quiet."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from jobs_mcp.app import App
from jobs_mcp.logs import configure_logging
from scheduler.clock import FakeClock
from scheduler.jobs.job_input import JobInput


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    quiet = {name: logging.getLogger(name).level for name in ("apscheduler", "alembic")}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, old in quiet.items():
        logging.getLogger(name).setLevel(old)


def test_json_lines_carry_the_ids_as_fields(restore_logging: None) -> None:
    out = io.StringIO()
    configure_logging("INFO", "json", out)
    logging.getLogger("scheduler.engine.runner").info("run %s: %s", "run_1", "succeeded",
                                                      extra={"job_id": "job_1", "run_id": "run_1",
                                                             "duration_s": 0.25})
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("x").exception("it broke", extra={"job_id": "job_2"})
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert first["message"] == "run run_1: succeeded" and first["level"] == "INFO"
    assert first["job_id"] == "job_1" and first["run_id"] == "run_1" and first["duration_s"] == 0.25
    assert first["logger"] == "scheduler.engine.runner" and first["ts"].endswith("+00:00")
    assert second["job_id"] == "job_2" and "ValueError: boom" in second["exc"]


def test_text_lines_append_the_fields_and_libraries_stay_quiet(restore_logging: None) -> None:
    out = io.StringIO()
    configure_logging("INFO", "text", out)
    logging.getLogger("jobs").info("took back a lease", extra={"job_id": "job_1", "worker": "node-a"})
    logging.getLogger("apscheduler.executors.default").info("Running job \"tick\"")
    logging.getLogger("apscheduler.scheduler").warning("a real apscheduler problem")
    lines = out.getvalue().splitlines()
    assert lines[0].endswith("INFO jobs took back a lease job_id=job_1 worker=node-a")
    assert len(lines) == 2 and "a real apscheduler problem" in lines[1]


async def test_each_run_logs_one_info_line_with_ids_outcome_duration_and_cost(
        state: App, clock: FakeClock, caplog: pytest.LogCaptureFixture) -> None:
    job = state.service.create("local", JobInput(title="Stretch", instructions="Stand up", action="notify",
                                                 interval_seconds=3600)).job
    assert state.engine is not None and job.next_run_at is not None
    clock.set(job.next_run_at)
    with caplog.at_level(logging.INFO, logger="scheduler.engine.runner"):
        await state.engine.poller.tick()
        await state.engine.poller.drain()
    runs = [r for r in caplog.records if getattr(r, "run_id", None)]
    assert len(runs) == 1
    record = runs[0]
    assert record.levelno == logging.INFO and record.job_id == job.id  # type: ignore[attr-defined]
    assert record.outcome == "succeeded" and record.cost_usd == 0  # type: ignore[attr-defined]
    assert record.duration_s >= 0  # type: ignore[attr-defined]
    assert record.run_id == state.repo.list_runs("local", job.id)[0].id  # type: ignore[attr-defined]
