"""Finishing runs, and what a run reads about its job's past.

Contract:
- `finish_runs` writes, per finish and in one transaction for the batch (each
  finish stamped with its own instant, `run.finished_at`): the
  job row (version-checked, transition checked and recorded as an event), the
  run row, the `skipped` rows for fires that came while it ran, and whatever
  the outbox hook adds. A finish whose job row moved on (pause, cancel, update)
  or whose run was taken back writes nothing and returns the row as it is now:
  the caller plans again against it. So a pause or cancel during a run is
  never undone by the run's completion.
- The outbox hook is the seam where the delivery issue writes its rows: it is
  called once per batch inside the transaction, for applied finishes only.
- One finish that cannot be written (a value the database refuses, a row that
  cannot be read) never fails the others: the batch is written again one finish
  at a time, and the one that fails alone comes back not applied, with `fault`
  saying why, for the caller to record the run without what could not be stored.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select, update
from sqlmodel import col

from store.bulk import execute_many
from store.enums import JobStatus, RunOutcome
from store.ids import new_run_id
from store.models import Job
from store.repository import JobRepository
from store.row_faults import fault_text, is_row_fault, one_at_a_time, set_aside, unreadable, unusable
from store.run_types import (
    JOBS,
    RUNS,
    Finish,
    FinishResult,
    Outbox,
    insert_rows,
    run_values,
    write_job_finishes,
)

log = logging.getLogger(__name__)
SKIPPED_SUMMARY = "skipped: the previous run of this job was still running"

_RUN_COLUMNS = ("outcome", "verdict", "summary", "output", "error", "finished_at", "tokens_in", "tokens_out",
                "cache_read_tokens", "cache_write_tokens", "cost_usd", "trace")
_WRITE_RUN = (
    update(RUNS)
    .where(RUNS.c.id == bindparam("b_id"))
    .values({name: bindparam(f"b_{name}", type_=RUNS.c[name].type) for name in _RUN_COLUMNS})
)


class RunStore:
    def __init__(self, repo: JobRepository, outbox: Outbox | None = None) -> None:
        self.repo = repo
        self.outbox = outbox

    def finish_runs(self, finishes: Sequence[Finish]) -> list[FinishResult]:
        """Write every finish whose job still has its `version` and whose run is still `running`.

        Returns one FinishResult per finish, in order. Nothing is written for one
        that is not applied; the others are unaffected.
        """
        if not finishes:
            return []
        try:
            return self._finish_batch(finishes)
        except Exception as exc:
            if not is_row_fault(exc):
                raise
            log.warning("a finish broke its batch of %d: writing them one at a time (%s)", len(finishes),
                        fault_text(exc))
            if len(finishes) == 1:
                return [FinishResult(False, fault=fault_text(exc))]
        return [self.finish_runs([finish])[0] for finish in finishes]

    def _finish_batch(self, finishes: Sequence[Finish]) -> list[FinishResult]:
        with self.repo.write() as session:
            conn = session.connection()
            ids = sorted({f.job_id for f in finishes})  # one lock order for every node
            # Only versions are needed to decide; full rows are loaded for the few that moved on.
            # FOR NO KEY UPDATE: the lock an UPDATE takes, which lets run rows referencing the job be
            # inserted meanwhile (a plain FOR UPDATE conflicts with their foreign key check).
            versions: dict[str, int] = {row.id: row.version for row in conn.execute(
                select(JOBS.c.id, JOBS.c.version).where(JOBS.c.id.in_(ids)).order_by(JOBS.c.id)
                .with_for_update(key_share=True)).all()}
            outcomes: dict[str, str] = {row.id: row.outcome for row in conn.execute(
                select(RUNS.c.id, RUNS.c.outcome).where(RUNS.c.id.in_([f.run_id for f in finishes]))).all()}
            applied: list[tuple[Job, Finish]] = []
            results: list[FinishResult] = []
            seen: set[str] = set()
            stale: list[int] = []
            for finish in finishes:
                run_outcome = outcomes.get(finish.run_id)
                if (versions.get(finish.job_id) != finish.version or run_outcome != RunOutcome.RUNNING.value
                        or finish.job_id in seen):
                    stale.append(len(results))
                    results.append(FinishResult(False, None, run_outcome))
                    continue
                seen.add(finish.job_id)
                applied.append((_planned_row(finish), finish))
                results.append(FinishResult(True))
            if stale:
                current = {job.id: job for job in session.scalars(
                    select(Job).where(col(Job.id).in_([finishes[i].job_id for i in stale]))).all()}
                for i in stale:
                    results[i] = FinishResult(False, current.get(finishes[i].job_id), results[i].run_outcome)
            self._write(conn, applied)
        if applied and self.outbox is not None:
            self.outbox.after_commit()
        return results

    def _write(self, conn: Connection, applied: list[tuple[Job, Finish]]) -> None:
        if not applied:
            return
        write_job_finishes(conn, [(job, finish.job, finish.run.finished_at) for job, finish in applied])
        execute_many(conn, _WRITE_RUN, [_run_params(finish) for _job, finish in applied])
        skipped = [run_values(job, run_id=new_run_id(), scheduled_for=fire, outcome=RunOutcome.SKIPPED,
                              now=finish.run.finished_at, summary=SKIPPED_SUMMARY)
                   for job, finish in applied for fire in finish.skipped]
        insert_rows(conn, RUNS, skipped)
        if self.outbox is not None:
            self.outbox.runs_finished(conn, applied)

    # -- what a run reads ---------------------------------------------------------

    def pending_jobs(self, now: datetime, limit: int = 500) -> list[Job]:
        """PENDING jobs (waiting for dependencies), oldest first.

        A row that cannot be read is set BLOCKED with the reason (as of `now`) and left out.
        """
        stmt = select(Job).where(col(Job.status) == JobStatus.PENDING.value).order_by(col(Job.created_at))
        try:
            with self.repo.read() as session:
                return list(session.scalars(stmt.limit(limit)).all())
        except Exception as exc:
            if not is_row_fault(exc):
                raise
            log.warning("a pending row cannot be read: reading them one at a time (%s)", fault_text(exc))
        with self.repo.read() as session:
            ids = list(session.scalars(stmt.with_only_columns(col(Job.id)).limit(limit)).all())
        return one_at_a_time(ids, lambda job_id: self._read_one(stmt, job_id),
                             lambda job_id, why: self.set_aside(job_id, JobStatus.PENDING, JobStatus.BLOCKED, why, now,
                                                                unreadable_row=True))

    def _read_one(self, stmt: Any, job_id: str) -> Job:
        with self.repo.read() as session:
            return session.scalars(stmt.where(col(Job.id) == job_id)).one()

    def set_aside(self, job_id: str, current: JobStatus, target: JobStatus, problem: str, now: datetime, *,
                  unreadable_row: bool = False) -> bool:
        """Move a job the engine cannot use from `current` to `target`, reading only its plain columns
        (`store.row_faults.set_aside`); False if it is no longer `current`. With `unreadable_row`,
        `problem` is why the row could not be read, and the reason names the columns at fault."""
        with self.repo.write() as session:
            conn = session.connection()
            if unreadable_row:
                problem = unreadable(conn, job_id, problem)
            told = set_aside(conn, self.outbox, job_id, {current: target}, unusable(problem), now)
        if told and self.outbox is not None:
            self.outbox.after_commit()
        return told

    def last_outputs(self, job_ids: Sequence[str]) -> dict[str, str]:
        """job id -> the output (or summary) of its latest succeeded run, for jobs that have one."""
        if not job_ids:
            return {}
        with self.repo.read() as session:
            rows = session.connection().execute(
                select(RUNS.c.job_id, RUNS.c.output, RUNS.c.summary)
                .where(RUNS.c.job_id.in_(list(job_ids)), RUNS.c.outcome == RunOutcome.SUCCEEDED.value)
                .order_by(RUNS.c.finished_at.desc())).all()
        outputs: dict[str, str] = {}
        for row in rows:
            text = row.output or row.summary
            if row.job_id not in outputs and text:
                outputs[row.job_id] = text
        return outputs

    def recent_summaries(self, job_id: str, limit: int = 3) -> list[str]:
        """Summaries of the job's latest finished runs that have one, newest last."""
        with self.repo.read() as session:
            rows = session.connection().execute(
                select(RUNS.c.summary)
                .where(RUNS.c.job_id == job_id, RUNS.c.summary.is_not(None),
                       RUNS.c.outcome.in_([RunOutcome.SUCCEEDED.value, RunOutcome.FAILED.value,
                                           RunOutcome.TIMED_OUT.value]))
                .order_by(RUNS.c.finished_at.desc()).limit(limit)).all()
        return [row.summary for row in reversed(rows)]


def _planned_row(finish: Finish) -> Job:
    """The row the finish was planned against: its version matched, so it is the row as it is."""
    if finish.row is None:
        raise ValueError(f"finish of run {finish.run_id} carries no job row")
    return finish.row


def _run_params(finish: Finish) -> dict[str, Any]:
    run = finish.run
    return {"b_id": finish.run_id, "b_outcome": run.outcome.value,
            "b_verdict": run.verdict.value if run.verdict else None, "b_summary": run.summary,
            "b_output": run.output, "b_error": run.error, "b_finished_at": run.finished_at,
            "b_tokens_in": run.tokens_in, "b_tokens_out": run.tokens_out,
            "b_cache_read_tokens": run.cache_read_tokens, "b_cache_write_tokens": run.cache_write_tokens,
            "b_cost_usd": run.cost_usd, "b_trace": run.trace}
