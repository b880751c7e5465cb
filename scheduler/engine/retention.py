"""The retention pass (docs/operations.md, "Retention"): archive finished jobs, purge archived history.

Run by the engine loop every `every_s` (and by tests and the benchmark with a fake clock):
- jobs COMPLETED, FAILED or CANCELLED and unchanged for `archive_after_days` become ARCHIVED;
- runs, deliveries and events of jobs ARCHIVED `purge_after_days` ago are deleted (the job row stays).
Every write is a short batch (store/retention.py). Fault isolation as in the other engine steps
(store/row_faults.py): a batch that fails on a row fault is done again one job at a time and the job
that fails alone is skipped and logged, so one damaged row never stops retention; anything else
(the database down) fails the pass and the next one retries.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from scheduler.clock import Clock
from store.retention import RetentionStore, Transactions
from store.row_faults import is_row_fault, one_at_a_time

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetentionPolicy:
    archive_after_days: int = 30  # 0: never archive
    purge_after_days: int = 180  # 0: never purge
    every_s: float = 3600.0


@dataclass
class RetentionReport:
    archived: int = 0
    purged: dict[str, int] = field(default_factory=dict)  # table -> rows deleted
    skipped: list[str] = field(default_factory=list)  # jobs set aside on a row fault
    transactions: Transactions = field(default_factory=Transactions)


class RetentionPass:
    def __init__(self, store: RetentionStore, clock: Clock, policy: RetentionPolicy = RetentionPolicy()) -> None:
        self.store, self.clock, self.policy = store, clock, policy

    def run(self, now: datetime | None = None) -> RetentionReport:
        now = now or self.clock.now()
        report = RetentionReport()
        if self.policy.archive_after_days:
            self._archive(now, report)
        if self.policy.purge_after_days:
            before = dict(report.transactions.rows)
            self.store.purge_history(now - timedelta(days=self.policy.purge_after_days), report.transactions)
            report.purged = {name: rows - before.get(name, 0) for name, rows in report.transactions.rows.items()
                             if name != "archived" and rows - before.get(name, 0)}
        if report.archived or report.purged or report.skipped:
            log.info("retention: %d jobs archived, history rows deleted %s", report.archived, report.purged or "none")
        return report

    def _archive(self, now: datetime, report: RetentionReport) -> None:
        cutoff = now - timedelta(days=self.policy.archive_after_days)
        reason = f"retention: finished over {self.policy.archive_after_days} days ago"
        skipped: set[str] = set()
        while True:
            ids = [i for i in self.store.finished_before(cutoff, self.store.batch + len(skipped)) if i not in skipped]
            if not ids:
                return
            try:
                report.archived += self.store.archive(ids, cutoff, now, reason, report.transactions)
            except Exception as exc:
                if not is_row_fault(exc):
                    raise
                done = one_at_a_time(ids, lambda i: self.store.archive([i], cutoff, now, reason, report.transactions),
                                     lambda i, why: self._skip(i, why, skipped, report))
                report.archived += sum(done)
            if len(ids) < self.store.batch:
                return

    @staticmethod
    def _skip(job_id: str, why: str, skipped: set[str], report: RetentionReport) -> None:
        log.warning("retention skipped job %s: %s", job_id, why, extra={"job_id": job_id})
        skipped.add(job_id)
        report.skipped.append(job_id)
