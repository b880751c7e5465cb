"""The reminder lane in process: reminders per CPU-second and the longest write transaction.

N `notify` reminders due at the same instant are fired by the lane's own store call
(`ReminderStore.fire_due` with the lane's plan, batch by batch, as the poller would) on a
SQLite file or a fresh PostgreSQL database, with no server around it. Prints the wall
and CPU time of the whole burst, reminders per CPU-second, and the longest batch (one
batch is one write transaction: on SQLite, what a tool's write may wait behind).

`--recurring` makes them "every weekday at 9" reminders (`cron 0 9 * * 1-5`, all in one
timezone), so each fire also computes a next fire; `--profile FILE` writes cProfile
stats of the burst (read them with `python -m pstats FILE`). `--history N` gives every job N earlier
runs first (a daily reminder keeps 180 under the default retention): what an insert into the run
table's indexes costs depends on how large they are. `--passes` drives whole engine passes
(`Poller.tick`: the dependency settle and the slot claim before each reminder batch, each through
a worker thread) instead of the lane's store call alone: what each pass costs beside its batch.

    .venv/bin/python bench/lane.py [--jobs 10000] [--kind sqlite|postgres] [--recurring] [--batch 500] [--history 100]
                                   [--passes] [--collector-on] [--gc-freeze]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import time
from datetime import UTC, datetime, timedelta

import machine
from engine_common import database, open_store, percentile
from sqlalchemy import Engine, text

from jobs_mcp.app import build_app
from jobs_mcp.config import Settings
from jobs_mcp.engine_wiring import EngineMode
from scheduler.clock import FakeClock
from store.enums import JobStatus
from store.ids import new_job_id
from store.models import Job, JobEvent
from store.repository import JobRepository

FIRE = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # a Monday at nine


def insert(repo: JobRepository, count: int, recurring: bool) -> None:
    now = FIRE - timedelta(days=1)
    for start in range(0, count, 2000):
        jobs = [Job(id=new_job_id(), owner=f"owner{n % 100}", title=f"reminder {n}", instructions=f"reminder {n}",
                    job_type="SCHEDULED" if recurring else "ONE_OFF", action="notify", timezone="UTC",
                    cron="0 9 * * 1-5" if recurring else None, run_at=None if recurring else FIRE,
                    status=JobStatus.ACTIVE.value, next_run_at=FIRE, created_at=now, updated_at=now)
                for n in range(start, min(count, start + 2000))]
        with repo.write() as session:
            session.add_all(jobs)
            session.add_all([JobEvent(job_id=j.id, owner=j.owner, at=now, to_status=j.status, actor="bench")
                             for j in jobs])


def add_history(engine: Engine, per_job: int) -> None:
    """`per_job` (< 9,000) finished runs of every job, the days before the burst (INSERT … SELECT: seconds, not
    minutes), with ids as long as real ones."""
    old = FIRE - timedelta(days=1)
    with engine.begin() as conn:
        conn.execute(text(
            "WITH RECURSIVE n(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM n WHERE k < :per_job) "
            "INSERT INTO job_runs (id, job_id, owner, attempt, scheduled_for, started_at, finished_at, outcome, "
            "tokens_in, tokens_out, cache_read_tokens, cache_write_tokens, cost_usd, trace) "
            "SELECT 'run_' || substr(j.id, 5) || CAST(n.k + 1000 AS VARCHAR), j.id, j.owner, 1, :at, :at, :at, "
            "'succeeded', 0, 0, 0, 0, 0.0, '[]' FROM jobs j, n"), {"per_job": per_job, "at": old})


class GcClock:
    """Time spent in the garbage collector while `on` (gc.callbacks)."""

    def __init__(self) -> None:
        self.on, self.seconds, self.runs, self._start = False, 0.0, 0, 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if not self.on:
            return
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._start
            self.runs += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--kind", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--recurring", action="store_true")
    parser.add_argument("--batch", type=int, default=None)
    parser.add_argument("--profile", default=None, metavar="FILE")
    parser.add_argument("--history", type=int, default=0, metavar="N", help="N earlier runs of every job first")
    parser.add_argument("--passes", action="store_true", help="whole engine passes (Poller.tick), not the lane alone")
    parser.add_argument("--collector-on", action="store_true",
                        help="keep the garbage collector on during each batch (the lane pauses it)")
    parser.add_argument("--gc-freeze", action="store_true",
                        help="move the heap built so far out of the collector's reach first (gc.freeze)")
    args = parser.parse_args()
    with database(args.kind) as url:
        engine, repo = open_store(url)
        insert(repo, args.jobs, args.recurring)
        if args.history:
            add_history(engine, args.history)
        clock = FakeClock(FIRE + timedelta(milliseconds=100))
        app = build_app(Settings(database_url=url, node_id="bench"), clock, engine=EngineMode.MANUAL, search=False,
                        repo=repo)
        assert app.engine is not None and app.engine.poller.lane is not None
        lane = app.engine.poller.lane
        batch = args.batch or lane.batch
        profiler = cProfile.Profile() if args.profile else None
        batches: list[float] = []
        ran = 0
        collector = GcClock()
        if args.gc_freeze:
            gc.collect()
            gc.freeze()
        lane.batch = batch
        if args.collector_on:  # the batch as the lane fired it before scheduler/engine/collector.py
            lane.fire_batch = lambda now: lane.store.fire_due(now, lane.worker, lane.batch, lane.plan)  # type: ignore[method-assign]
        poller = app.engine.poller

        async def fire() -> tuple[int, bool]:
            """One batch (or one pass): reminders that ran, and whether more may be due."""
            if args.passes:
                report = await poller.tick(clock.now())
                return report.reminders, report.more_reminders
            fired = lane.fire_batch(clock.now())
            return fired.ran, fired.examined >= batch

        async def burst() -> None:
            nonlocal ran
            while True:
                t0 = time.perf_counter()
                if profiler:
                    profiler.enable()
                fired, more = await fire()
                if profiler:
                    profiler.disable()
                batches.append((time.perf_counter() - t0) * 1000)
                ran += fired
                if not more:
                    break

        collector.on = True
        wall0, cpu0 = time.perf_counter(), time.process_time()
        asyncio.run(burst())
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        collector.on = False
        if profiler:
            profiler.dump_stats(args.profile)
        with engine.connect() as conn:
            runs = conn.execute(text("SELECT count(*) FROM job_runs WHERE outcome = 'succeeded'")).scalar()
            inbox = conn.execute(text("SELECT count(*) FROM deliveries WHERE kind = 'inbox'")).scalar()
        kind = "every weekday at 9" if args.recurring else "one-off"
        what = "engine passes" if args.passes else "batches"
        print(f"lane {args.kind}: {ran} {kind} reminders in {len(batches)} {what} of {batch}: wall {wall:.2f} s "
              f"({ran / wall:,.0f}/s), CPU {cpu:.2f} s ({ran / cpu:,.0f} per CPU-second); batch p50 "
              f"{percentile(batches, 0.5):.0f} ms, longest {max(batches):.0f} ms; garbage collector {collector.runs} "
              f"runs, {collector.seconds:.2f} s; {runs} runs, {inbox} inbox rows")
        app.close()
        engine.dispose()


if __name__ == "__main__":
    main()
    print(machine.line())
