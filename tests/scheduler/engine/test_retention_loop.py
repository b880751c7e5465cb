"""The server's engine loop schedules the retention pass: an hour apart, the first a minute after start."""

from __future__ import annotations

from datetime import timedelta

from jobs_mcp.app import build_app
from jobs_mcp.config import Settings
from scheduler.engine.loop import RETENTION_FIRST_DELAY_S, RETENTION_JOB


async def test_the_loop_schedules_retention_after_start(sqlite_url: str) -> None:
    app = build_app(Settings(database_url=sqlite_url), search=False)  # the real clock: the server's loop
    try:
        async with app.running():
            assert app.engine is not None and app.engine.loop is not None
            scheduled = app.engine.loop._scheduler.get_job(RETENTION_JOB)  # type: ignore[union-attr]
            assert scheduled is not None
            first = scheduled.next_run_time - app.clock.now()
            assert timedelta(seconds=RETENTION_FIRST_DELAY_S - 5) < first <= timedelta(seconds=RETENTION_FIRST_DELAY_S)
            assert scheduled.trigger.interval == timedelta(hours=1)
    finally:
        app.close()


async def test_retention_off_when_both_steps_are_zero(sqlite_url: str) -> None:
    app = build_app(Settings(database_url=sqlite_url, archive_after_days=0, purge_after_days=0), search=False)
    try:
        async with app.running():
            report = app.engine.retention.run()  # type: ignore[union-attr]
            assert report.archived == 0 and report.purged == {} and report.transactions.count == 0
    finally:
        app.close()
