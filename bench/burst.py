"""Nine o'clock sharp: N reminders due in the same second, through real `jobs-mcp serve` processes.

ONE_OFF notify reminders, all due at the same instant, on one node on a SQLite
file and on three nodes on one PostgreSQL database. Prints, per run:
- start lateness (run start minus the fire) p50 / p99 / max, over every run;
- inbox lateness (the inbox message's written time minus the fire) p50 / p99, and
  the time from the fire until this benchmark sees all N committed in the inbox;
- the peer: the same burst through APScheduler 3 as a Python user would run it
  (BackgroundScheduler, SQLAlchemyJobStore on a SQLite file, a no-op job), its
  lateness distribution and the ratio to ours.

The reminders are written straight into the database before the nodes start
(the service would take minutes for 10,000), with a stored vector each, as the
embedder leaves every job in steady state, so the server's repair pass stays
idle instead of encoding 10,000 jobs during the burst. The fire is set late
enough that every node is up and idle before it (printed as the margin).

    .venv/bin/python bench/burst.py [--jobs 1000 2000 10000] [--no-peer] [--only sqlite|postgres|peer]
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import machine
from engine_common import (
    FAR,
    as_datetime,
    database,
    due_together,
    have_postgres,
    open_store,
    percentile,
    rows,
)
from sampling import sampled
from sqlalchemy import Engine, text

from scheduler.search.encoder import DIMENSIONS, ONNX_NAME
from scheduler.search.vectors import to_bytes
from tests.support.nodes import Node, insert_reminders, start_node
from tests.support.serve_process import JOBS_MCP

DONE_TIMEOUT_S = 300.0
POLL_S = 0.05  # the inbox count is polled this often: "all in the inbox" is seen at most this late


@dataclass(frozen=True)
class Figures:
    label: str
    count: int
    start_ms: list[float]
    inbox_ms: list[float]
    seen_all_s: float | None = None  # when this benchmark first counted all N in the inbox, after the fire

    def report(self) -> str:
        s = self.start_ms
        line = (f"  {self.label:<24} {len(s):>6} runs: start lateness p50 {percentile(s, 0.5):8.1f} ms, "
                f"p99 {percentile(s, 0.99):8.1f} ms, max {max(s):8.1f} ms")
        if self.inbox_ms:  # ours: a reminder batch's runs share one start, so the distinct starts are the batches
            line += f" (first {min(s):.1f} ms, {len(set(s))} batches)"
        if self.inbox_ms:
            line += (f"; inbox p50 {percentile(self.inbox_ms, 0.5):8.1f} ms, p99 {percentile(self.inbox_ms, 0.99):8.1f}"
                     f" ms; all {len(self.inbox_ms)} in the inbox {self.seen_all_s:6.2f} s after the fire")
        missing = self.count - len(s)
        return line + (f"  ({missing} never started)" if missing else "")

    def verdict(self) -> str:
        """The issue's goals for a burst, on one line."""
        p99_s = percentile(self.start_ms, 0.99) / 1000 if self.start_ms else float("inf")
        seen = self.seen_all_s if self.seen_all_s is not None and len(self.inbox_ms) >= self.count else float("inf")
        return (f"  goal {self.label}, {self.count} due in one second: start p99 {p99_s:.2f} s (<= 1 s: "
                f"{'met' if p99_s <= 1 else 'NOT met'}), all in the inbox {seen:.2f} s after the fire (<= 2 s: "
                f"{'met' if seen <= 2 else 'NOT met'})")


# -- jobs-mcp -------------------------------------------------------------------------------


def store_vectors(engine: Engine) -> None:
    """A vector per job under the served model's name: the repair pass then finds nothing to do."""
    unit = [1.0] + [0.0] * (DIMENSIONS - 1)
    with engine.begin() as conn:
        conn.execute(text("UPDATE jobs SET embedding = :vector, embedding_model = :model"),
                     {"vector": to_bytes(unit), "model": ONNX_NAME})  # type: ignore[arg-type]


def inbox_count(engine: Engine) -> int:
    reader = engine.execution_options(sqlite_begin="DEFERRED")  # never take the node's writer slot
    return int(rows(reader, "SELECT count(*) FROM deliveries WHERE kind = 'inbox'")[0][0])  # type: ignore[arg-type]


def burst_jobs_mcp(kind: str, nodes: int, count: int, profile_dir: Path | None = None, gil: bool = False) -> Figures:
    with database(kind) as url, tempfile.TemporaryDirectory() as logs:
        engine, repo = open_store(url)
        insert_reminders(repo, [FAR] * count, owner="burst")
        store_vectors(engine)
        started: list[Node] = []
        try:
            for n in range(nodes):
                started.append(start_node(url, Path(logs), name=f"node{n}", command=[JOBS_MCP, "serve"]))
            fire = due_together(engine, "run_at", "next_run_at")
            margin_s = fire.timestamp() - time.time()
            print(f"  {kind} x{nodes}: {count} reminders due at {fire:%H:%M:%S}", flush=True)
            outputs = [profile_dir / f"burst-{kind}-{count}-node{n}.txt" for n in range(nodes)] if profile_dir else []
            if outputs:
                time.sleep(max(0.0, margin_s - 1))
            with sampled([node.process.pid for node in started] if outputs else [], outputs, gil=gil):
                deadline = time.monotonic() + max(0.0, margin_s) + DONE_TIMEOUT_S
                while inbox_count(engine) < count and time.monotonic() < deadline:
                    time.sleep(POLL_S)
                seen_all_s = time.time() - fire.timestamp()
        finally:
            for node in started:
                node.terminate()
        start_ms = [ms(start, due) for start, due in
                    rows(engine, "SELECT started_at, scheduled_for FROM job_runs WHERE outcome = 'succeeded'")]
        inbox_ms = [ms(at, fire) for (at,) in rows(engine, "SELECT created_at FROM deliveries WHERE kind = 'inbox'")]
        if nodes > 1:  # which node took which batch, when: do the nodes share the burst?
            batches = rows(engine, "SELECT worker, started_at, count(*) FROM job_runs WHERE outcome = 'succeeded' "
                                   "GROUP BY worker, started_at ORDER BY started_at")
            print("  batches (node, start after the fire, reminders): " + ", ".join(
                f"{worker[-5:]} {ms(start, fire):.0f} ms {n}" for worker, start, n in batches), flush=True)
        engine.dispose()
    return Figures(f"jobs-mcp {kind} x{nodes}", count, start_ms, inbox_ms, seen_all_s)


def ms(later: object, earlier: object) -> float:
    return (as_datetime(later) - as_datetime(earlier)).total_seconds() * 1000


# -- the peer: APScheduler 3 ------------------------------------------------------------------

_peer_lateness_ms: list[float] = []
_peer_done = threading.Event()
_peer_expected = 0


def peer_job(fire_ts: float) -> None:
    """The no-op job: records how late it started (list.append is atomic under the GIL)."""
    _peer_lateness_ms.append((time.time() - fire_ts) * 1000)
    if len(_peer_lateness_ms) >= _peer_expected:
        _peer_done.set()


def _peer_scheduler(path: Path):  # type: ignore[no-untyped-def]
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler

    # Defaults otherwise (a 10-thread pool), except misfire_grace_time: its default of 1 s would drop every
    # job later than that instead of running it, and ours runs every reminder.
    return BackgroundScheduler(jobstores={"default": SQLAlchemyJobStore(url=f"sqlite:///{path}")}, timezone=UTC,
                               job_defaults={"misfire_grace_time": None})


def _add_rate(tmp: Path) -> float:
    """Jobs added per second to a scratch store (each add is its own commit), to place the fire."""
    scheduler = _peer_scheduler(tmp / "calibrate.db")
    scheduler.start(paused=True)
    begin, far = time.perf_counter(), time.time() + 3600
    for n in range(300):
        scheduler.add_job(peer_job, "date", run_date=datetime.fromtimestamp(far, UTC), args=[far], id=f"c{n}")
    rate = 300 / (time.perf_counter() - begin)
    scheduler.shutdown(wait=False)
    return rate


def burst_apscheduler(count: int) -> Figures:
    global _peer_expected
    with tempfile.TemporaryDirectory() as tmp:
        lead_s = 2.0 + 1.2 * count / _add_rate(Path(tmp))
        fire_ts = float(round(time.time() + lead_s))
        _peer_lateness_ms.clear()
        _peer_done.clear()
        _peer_expected = count
        scheduler = _peer_scheduler(Path(tmp) / "peer.db")
        scheduler.start(paused=True)
        fire = datetime.fromtimestamp(fire_ts, UTC)
        for n in range(count):
            scheduler.add_job(peer_job, "date", run_date=fire, args=[fire_ts], id=f"r{n}")
        margin_s = fire_ts - time.time()
        print(f"  apscheduler: {count} jobs added, {margin_s:.1f} s before the fire", flush=True)
        scheduler.resume()
        _peer_done.wait(max(0.0, margin_s) + DONE_TIMEOUT_S)
        scheduler.shutdown(wait=True)
    return Figures("APScheduler 3 sqlite", count, list(_peer_lateness_ms), [])


def compare(ours: Figures, peer: Figures) -> str:
    def ratio(q: float) -> str:
        mine = percentile(ours.start_ms, q) if q < 1 else max(ours.start_ms)
        theirs = percentile(peer.start_ms, q) if q < 1 else max(peer.start_ms)
        return f"{theirs / mine:.1f}x" if mine > 0 else "n/a"

    return (f"  APScheduler / {ours.label}: start lateness p50 {ratio(0.5)}, p99 {ratio(0.99)}, max {ratio(1.0)} "
            "(higher: we are earlier)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, nargs="+", default=[10_000])
    parser.add_argument("--no-peer", action="store_true", help="skip the APScheduler run")
    parser.add_argument("--only", choices=["sqlite", "postgres", "peer"], default=None)
    parser.add_argument("--profile", type=Path, default=None, metavar="DIR",
                        help="sample the nodes with py-spy during the burst (see bench/sampling.py)")
    parser.add_argument("--profile-gil", action="store_true", help="sample only the thread holding the GIL")
    args = parser.parse_args()
    run_pg = args.only in (None, "postgres") and have_postgres()
    for count in args.jobs:
        print(f"burst: {count} notify reminders due in the same second")
        results: list[Figures] = []
        if args.only in (None, "sqlite"):
            results.append(burst_jobs_mcp("sqlite", 1, count, args.profile, args.profile_gil))
            print(results[-1].report(), results[-1].verdict(), sep="\n", flush=True)
        if run_pg:
            results.append(burst_jobs_mcp("postgres", 3, count, args.profile, args.profile_gil))
            print(results[-1].report(), results[-1].verdict(), sep="\n", flush=True)
        if args.only == "peer" or (args.only is None and not args.no_peer):
            peer = burst_apscheduler(count)
            print(peer.report(), flush=True)
            for ours in results:
                print(compare(ours, peer))


if __name__ == "__main__":
    main()
    print(machine.line())
