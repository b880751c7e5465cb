"""The outbox: messages for the chat (inbox), webhook calls and channel pushes, and their delivery state.

Contract:
- `OutboxWriter` is the engine's outbox hook: called inside the transaction
  that finishes a run, it adds the rows that run causes, so a recorded run
  always has its messages and no message exists without its run.
- Inbox rows are ready at once; `read_inbox` returns an owner's unread ones,
  oldest first, and marks them read when asked to (in the same transaction).
- Channel rows (`channel_rows`): one per channel (an Apprise URL) of the job, or of its owner's
  defaults when the job names none, each with its own attempts and status; held until the end of
  the owner's quiet hours unless the job is urgent.
- Webhook and channel rows are claimed with leases like jobs (`claim`): each
  attempt is made by one node; a node that dies mid-send loses its lease and
  the row is claimed again, so a crash means a retry, never a loss.
- A delivery row that cannot be read is marked `failed` with the reason, and an
  attempt's result the database refuses is recorded without its error text:
  neither stops the other deliveries (`store.row_faults`).
- `now` always comes from the caller's clock.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, bindparam, case, func, insert, or_, select, update

from store.bulk import execute_many, insert_many
from store.engine import is_sqlite
from store.enums import JobStatus
from store.ids import random_hex
from store.models import Delivery, Job, JobRun, OwnerSettings
from store.quiet_hours import quiet_until
from store.repository import JobRepository
from store.row_faults import fault_text, is_row_fault, one_at_a_time
from store.run_types import Finish
from store.types import iso_text

log = logging.getLogger(__name__)
DELIVERIES = Delivery.__table__  # type: ignore[attr-defined]
RUNS = JobRun.__table__  # type: ignore[attr-defined]
OWNERS = OwnerSettings.__table__  # type: ignore[attr-defined]
INBOX, WEBHOOK, CHANNEL = "inbox", "webhook", "channel"
SENT_KINDS = (WEBHOOK, CHANNEL)
READY, PENDING, SENDING, DELIVERED, FAILED = "ready", "pending", "sending", "delivered", "failed"
FINAL_EVENTS = {
    JobStatus.COMPLETED: "job.completed",
    JobStatus.FAILED: "job.failed",
    JobStatus.BLOCKED: "job.blocked",
    JobStatus.CANCELLED: "job.cancelled",
}
FINAL_WORDS = {
    JobStatus.COMPLETED: "completed",
    JobStatus.FAILED: "failed",
    JobStatus.BLOCKED: "is blocked",
    JobStatus.CANCELLED: "was cancelled",
}

# A one-off that ran completes with reason "ran": true, but nothing a person needs to read.
UNINFORMATIVE_REASONS = frozenset({"ran"})


def new_delivery_id() -> str:
    """Time-ordered (microseconds, then random), so messages written in one instant keep their order."""
    return f"dlv_{time.time_ns() // 1000:013x}{random_hex(2)}"  # the pooled random bytes: no system call per id


@dataclass(frozen=True)
class AttemptOutcome:
    """What one webhook attempt leaves on its delivery row."""

    delivery_id: str
    status: str  # pending (retry at next_attempt_at), delivered or failed
    error: str | None = None
    next_attempt_at: datetime | None = None


_SETTLE = (
    update(DELIVERIES)
    .where(DELIVERIES.c.id == bindparam("b_id"), DELIVERIES.c.claimed_by == bindparam("b_worker"),
           DELIVERIES.c.status == SENDING)
    .values(status=bindparam("b_status"), last_error=bindparam("b_error"), claimed_by=None, lease_until=None,
            next_attempt_at=bindparam("b_next", type_=DELIVERIES.c.next_attempt_at.type),
            delivered_at=bindparam("b_delivered", type_=DELIVERIES.c.delivered_at.type))
)


@dataclass(frozen=True)
class Notice:
    """What one finished run (or system transition) tells the person."""

    event: str
    status: str
    message: str
    verdict: str | None = None
    run_id: str | None = None
    cost_usd: float = 0.0
    finished_at: datetime | None = None


def notice_for_run(job: Job, *, run_id: str, to_status: JobStatus, reason: str | None, run_message: str | None,
                   notify: bool, verdict: str | None, cost_usd: float, finished_at: datetime) -> Notice | None:
    """One message per finished run: the run's own message if it is worth telling, and the job's
    final outcome with its reason if the run ended the job. None when there is nothing to say."""
    final = to_status in FINAL_EVENTS and to_status != JobStatus(job.status)
    parts = [run_message] if notify and run_message else []
    if final:
        said = reason if reason and reason not in UNINFORMATIVE_REASONS else None
        outcome = f"Job '{job.title}' {FINAL_WORDS[to_status]}" + (f": {said}" if said else ".")
        parts.append(outcome)
    if not parts:
        return None
    event = FINAL_EVENTS[to_status] if final else "run.finished"
    return Notice(event=event, status=to_status.value, message="\n\n".join(parts), verdict=verdict, run_id=run_id,
                  cost_usd=cost_usd, finished_at=finished_at)


def notice_rows(job: Job, notice: Notice, now: datetime) -> list[dict[str, Any]]:
    """The inbox row, and the webhook row when the job has a webhook."""
    base = {"owner": job.owner, "job_id": job.id, "run_id": notice.run_id, "chat_id": job.chat_id,
            "event": notice.event, "title": job.title, "message": notice.message, "attempts": 0,
            "last_error": None, "claimed_by": None, "lease_until": None, "created_at": now,
            "delivered_at": None, "read_at": None, "target": None}
    payload = {"event": notice.event, "job_id": job.id, "run_id": notice.run_id, "owner": job.owner,
               "chat_id": job.chat_id, "title": job.title, "status": notice.status, "verdict": notice.verdict,
               "message": notice.message, "cost_usd": round(notice.cost_usd, 6),
               "finished_at": iso_text(notice.finished_at or now)}
    rows = [{**base, "id": new_delivery_id(), "kind": INBOX, "status": READY, "payload": payload,
             "next_attempt_at": None, "delivered_at": now}]
    if job.webhook_url:
        rows.append({**base, "id": new_delivery_id(), "kind": WEBHOOK, "status": PENDING, "payload": payload,
                     "next_attempt_at": now})
    return rows


def write_notice(conn: Connection, job: Job, notice: Notice | None, now: datetime) -> int:
    """Insert a notice's rows inside the caller's transaction; returns how many."""
    if notice is None:
        return 0
    rows = notice_rows(job, notice, now) + channel_rows(conn, [(job, notice, now)])
    conn.execute(insert(DELIVERIES), rows)
    return len(rows)


# What a push's title adds for an outcome the person must act on.
_TITLE_WORDS = {JobStatus.FAILED.value: "failed", JobStatus.BLOCKED.value: "blocked"}


def push_title(job: Job, notice: Notice) -> str:
    """The job's title; a failed or blocked job says so."""
    word = _TITLE_WORDS.get(notice.status)
    return f"{job.title} ({word})" if word else job.title


def channel_rows(conn: Connection, items: Sequence[tuple[Job, Notice, datetime]]) -> list[dict[str, Any]]:
    """The channel deliveries of a batch of notices (job, notice, when written), read inside the caller's
    transaction: one pending row per channel of the job, or of its owner's default channels when the
    job names none; due at once, or at the end of the owner's quiet hours unless the job is urgent.
    Every path that writes run messages calls this once per batch (one read of owner_settings)."""
    if not items:
        return []
    owners = sorted({job.owner for job, _notice, _now in items})
    settings = {row.owner: row for row in conn.execute(
        select(OWNERS.c.owner, OWNERS.c.timezone, OWNERS.c.channels, OWNERS.c.quiet_hours)
        .where(OWNERS.c.owner.in_(owners))).all()}
    rows: list[dict[str, Any]] = []
    for job, notice, now in items:
        mine = settings.get(job.owner)
        urls = list(getattr(job, "channels", None) or []) or list(mine.channels if mine else [])
        if not urls:
            continue
        held = None
        if mine is not None and not getattr(job, "urgent", False):
            held = quiet_until(now, mine.quiet_hours, mine.timezone or job.timezone or "UTC")
        title = push_title(job, notice)
        for index, url in enumerate(urls):
            rows.append({"id": new_delivery_id(), "owner": job.owner, "job_id": job.id, "run_id": notice.run_id,
                         "chat_id": job.chat_id, "kind": CHANNEL, "event": notice.event, "status": PENDING,
                         "title": job.title, "message": notice.message, "attempts": 0, "last_error": None,
                         "claimed_by": None, "lease_until": None, "created_at": now, "delivered_at": None,
                         "read_at": None, "target": url, "next_attempt_at": held or now,
                         "payload": {"channel": index, "title": title, **({"held_until": held.isoformat()}
                                                                          if held else {})}})
    return rows


def _run_notice(job: Job, finish: Finish) -> Notice | None:
    run = finish.run
    return notice_for_run(
        job, run_id=finish.run_id, to_status=finish.job.status,
        reason=finish.job.reason or finish.job.last_error, run_message=run.message or run.error,
        notify=run.notify, verdict=run.verdict.value if run.verdict else None, cost_usd=run.cost_usd,
        finished_at=run.finished_at,
    )


class DeliveryStore:
    def __init__(self, repo: JobRepository) -> None:
        self.repo = repo
        self._sqlite = is_sqlite(repo.engine)

    # -- inbox ---------------------------------------------------------------------

    def read_inbox(self, owner: str, chat_id: str | None, limit: int, ack: bool, now: datetime) -> list[Delivery]:
        """The owner's unread inbox messages (of `chat_id` if given), oldest first; marked read if `ack`."""
        cond = [DELIVERIES.c.owner == owner, DELIVERIES.c.kind == INBOX, DELIVERIES.c.read_at.is_(None)]
        if chat_id is not None:
            cond.append(DELIVERIES.c.chat_id == chat_id)
        stmt = select(DELIVERIES).where(*cond).order_by(DELIVERIES.c.created_at, DELIVERIES.c.id).limit(limit)
        session_factory = self.repo.write if ack else self.repo.read
        with session_factory() as session:
            conn = session.connection()
            rows = [Delivery.model_construct(**r) for r in conn.execute(stmt).mappings().all()]
            if ack and rows:
                conn.execute(update(DELIVERIES).where(DELIVERIES.c.id.in_([r.id for r in rows]))
                             .values(read_at=now))
        return rows

    def unread_counts(self, owner: str, chat_id: str | None) -> tuple[int, int]:
        """(unread inbox messages of `chat_id` (of every chat if None), unread ones outside it)."""
        cond = [DELIVERIES.c.owner == owner, DELIVERIES.c.kind == INBOX, DELIVERIES.c.read_at.is_(None)]
        here = func.count() if chat_id is None else func.coalesce(
            func.sum(case((DELIVERIES.c.chat_id == chat_id, 1), else_=0)), 0)
        with self.repo.read() as session:
            total, matching = session.connection().execute(select(func.count(), here).where(*cond)).one()
        return int(matching), int(total) - int(matching)

    def for_runs(self, owner: str, run_ids: Sequence[str]) -> dict[str, list[Delivery]]:
        """run id -> its deliveries (status, attempts, last error), for showing beside runs."""
        if not run_ids:
            return {}
        with self.repo.read() as session:
            rows = session.connection().execute(
                select(DELIVERIES).where(DELIVERIES.c.owner == owner, DELIVERIES.c.run_id.in_(list(run_ids)))
                .order_by(DELIVERIES.c.created_at)).mappings().all()
        out: dict[str, list[Delivery]] = {}
        for row in rows:
            out.setdefault(row["run_id"], []).append(Delivery.model_construct(**row))
        return out

    # -- webhooks and channels ---------------------------------------------------------

    def claim_webhooks(self, now: datetime, worker: str, limit: int, lease_s: float) -> list[Delivery]:
        return self.claim(WEBHOOK, now, worker, limit, lease_s)

    def claim(self, kind: str, now: datetime, worker: str, limit: int, lease_s: float) -> list[Delivery]:
        """Due deliveries of `kind` (webhook or channel), leased to `worker` with `attempts` bumped.

        Due: pending with next_attempt_at <= now, or sending with an expired lease
        (its node died mid-send: the attempt is made again). A due row that cannot
        be read is marked failed with the reason instead.
        """
        try:
            return self._claim(kind, now, worker, limit, lease_s)
        except Exception as exc:
            if not is_row_fault(exc):
                raise
            log.warning("a delivery row broke the claim: claiming one at a time (%s)", fault_text(exc))
        with self.repo.read() as session:
            ids = list(session.connection().execute(self._due(kind, now, limit)).scalars())
        claimed = one_at_a_time(ids, lambda delivery_id: self._claim(kind, now, worker, 1, lease_s, delivery_id),
                                lambda delivery_id, why: self._unreadable(delivery_id, why))
        return [delivery for batch in claimed for delivery in batch]

    def _due(self, kind: str, now: datetime, limit: int, delivery_id: str | None = None) -> Any:
        due = or_(
            and_(DELIVERIES.c.status == PENDING, DELIVERIES.c.next_attempt_at <= now),
            and_(DELIVERIES.c.status == SENDING, DELIVERIES.c.lease_until < now),
        )
        only = [DELIVERIES.c.id == delivery_id] if delivery_id is not None else []
        return (select(DELIVERIES.c.id).where(DELIVERIES.c.kind == kind, due, *only)
                .order_by(DELIVERIES.c.next_attempt_at).limit(limit))

    def _claim(self, kind: str, now: datetime, worker: str, limit: int, lease_s: float,
               delivery_id: str | None = None) -> list[Delivery]:
        pick = self._due(kind, now, limit, delivery_id)
        if delivery_id is None:
            # A dispatcher is woken by every commit of run messages; most find nothing of their kind due.
            # Looking first with a read spares SQLite's single writer slot that empty write transaction.
            with self.repo.read() as session:
                if session.connection().execute(self._due(kind, now, 1)).first() is None:
                    return []
        if not self._sqlite:
            pick = pick.with_for_update(skip_locked=True)
        with self.repo.write() as session:
            conn = session.connection()
            ids = [row.id for row in conn.execute(pick).all()]
            if not ids:
                return []
            conn.execute(update(DELIVERIES).where(DELIVERIES.c.id.in_(ids)).values(
                status=SENDING, claimed_by=worker, lease_until=now + timedelta(seconds=lease_s),
                attempts=DELIVERIES.c.attempts + 1))
            rows = conn.execute(select(DELIVERIES).where(DELIVERIES.c.id.in_(ids))
                                .order_by(DELIVERIES.c.next_attempt_at)).mappings().all()
        return [Delivery.model_construct(**r) for r in rows]

    def _unreadable(self, delivery_id: str, why: str) -> None:
        log.warning("delivery %s failed for good: its row cannot be read (%s)", delivery_id, why)
        with self.repo.write() as session:
            session.connection().execute(
                update(DELIVERIES).where(DELIVERIES.c.id == delivery_id).values(
                    status=FAILED, last_error=f"the stored delivery cannot be read ({why})", claimed_by=None,
                    lease_until=None, next_attempt_at=None))

    def webhook_targets(self, job_ids: Sequence[str]) -> dict[str, tuple[str | None, str | None]]:
        """job id -> (webhook_url, webhook_secret) as they are now."""
        jobs = Job.__table__  # type: ignore[attr-defined]
        with self.repo.read() as session:
            rows = session.connection().execute(
                select(jobs.c.id, jobs.c.webhook_url, jobs.c.webhook_secret).where(jobs.c.id.in_(list(job_ids)))
            ).all()
        return {row.id: (row.webhook_url, row.webhook_secret) for row in rows}

    def run_times(self, run_ids: Sequence[str]) -> dict[str, tuple[datetime | None, datetime | None]]:
        """run id -> (started_at, finished_at), for webhook payloads; a run row whose times cannot be
        read is left out (the payload goes without them)."""
        ids = [r for r in run_ids if r]
        if not ids:
            return {}
        try:
            return self._run_times(ids)
        except Exception as exc:
            if not is_row_fault(exc):
                raise
            log.warning("a run row's times cannot be read: reading them one at a time (%s)", fault_text(exc))
        found = one_at_a_time(ids, lambda run_id: self._run_times([run_id]), lambda run_id, why: None)
        return {run_id: times for one in found for run_id, times in one.items()}

    def _run_times(self, ids: list[str]) -> dict[str, tuple[datetime | None, datetime | None]]:
        with self.repo.read() as session:
            rows = session.connection().execute(
                select(RUNS.c.id, RUNS.c.started_at, RUNS.c.finished_at).where(RUNS.c.id.in_(ids))).all()
        return {row.id: (row.started_at, row.finished_at) for row in rows}

    def settle_attempts(self, worker: str, now: datetime, outcomes: Sequence[AttemptOutcome]) -> int:
        """Record attempts' results in one transaction, each only if `worker` still holds its lease (a
        result whose lease was lost is dropped: the new holder records its own). Returns how many were
        recorded. A result the database refuses is recorded with the refusal as its error instead."""
        if not outcomes:
            return 0
        try:
            return self._settle(worker, now, outcomes)
        except Exception as exc:
            if not is_row_fault(exc):
                raise
            reason = fault_text(exc)
        if len(outcomes) > 1:
            log.warning("an attempt's result broke its batch: recording one at a time (%s)", reason)
            return sum(self.settle_attempts(worker, now, [outcome]) for outcome in outcomes)
        error = f"the attempt's result could not be stored ({reason})"
        return self._settle(worker, now, [replace(outcomes[0], error=error)])

    def _settle(self, worker: str, now: datetime, outcomes: Sequence[AttemptOutcome]) -> int:
        params = [{"b_id": o.delivery_id, "b_worker": worker, "b_status": o.status, "b_error": o.error,
                   "b_next": o.next_attempt_at, "b_delivered": now if o.status == DELIVERED else None}
                  for o in outcomes]
        with self.repo.write() as session:
            return execute_many(session.connection(), _SETTLE, params)

    def next_due(self, kind: str = WEBHOOK) -> datetime | None:
        """When the next pending attempt of `kind` is due (for the dispatcher's sleep)."""
        with self.repo.read() as session:
            return session.connection().execute(
                select(DELIVERIES.c.next_attempt_at).where(DELIVERIES.c.kind == kind,
                                                           DELIVERIES.c.status == PENDING)
                .order_by(DELIVERIES.c.next_attempt_at).limit(1)).scalar()


class OutboxWriter:
    """The engine's `store.run_types.Outbox`: one notice per finished run (or system end), in its transaction.

    `after_commit` (called by the run store once the batch is committed) tells
    listeners, e.g. the dispatchers and subscribed chat sessions, whose messages
    were committed, and job listeners which jobs (owner, job id) a run ended on or
    a system transition changed. Both are kept per thread: a transaction and its
    `after_commit` run on one thread, and another thread's commit must not
    announce what is not committed yet.
    """

    def __init__(self) -> None:
        self._listeners: list[Callable[[frozenset[str]], None]] = []
        self._job_listeners: list[Callable[[frozenset[tuple[str, str]]], None]] = []
        self._pending = threading.local()

    def add_listener(self, listener: Callable[[frozenset[str]], None]) -> None:
        """`listener(owners)` runs after each commit that wrote messages for `owners`."""
        self._listeners.append(listener)

    def add_job_listener(self, listener: Callable[[frozenset[tuple[str, str]]], None]) -> None:
        """`listener({(owner, job_id), ...})` runs after each commit that finished runs of those jobs or
        changed them outside a run."""
        self._job_listeners.append(listener)

    def runs_finished(self, conn: Connection, items: Sequence[tuple[Job, Finish]]) -> None:
        """The notices of a batch of finished runs, as one multi-row insert: a statement per run
        cost more than the rest of the finish at thousands of runs a second."""
        rows: list[dict[str, Any]] = []
        told: list[tuple[Job, Notice, datetime]] = []
        for job, finish in items:
            notice = _run_notice(job, finish)
            if notice is not None:
                rows.extend(notice_rows(job, notice, finish.run.finished_at))
                told.append((job, notice, finish.run.finished_at))
        rows.extend(channel_rows(conn, told))
        insert_many(conn, DELIVERIES, rows)
        self._written().update(row["owner"] for row in rows)
        if self._job_listeners:
            self._jobs().update((job.owner, job.id) for job, _finish in items)

    def job_ended(self, conn: Connection, job: Job, to_status: JobStatus, reason: str | None,
                  now: datetime) -> None:
        """A system transition that ended the job outside a run (dependency failed, fire missed, lease lost)."""
        notice = notice_for_run(job, run_id=None, to_status=to_status, reason=reason, run_message=None,
                                notify=False, verdict=None, cost_usd=0.0, finished_at=now)
        if write_notice(conn, job, notice, now):
            self._written().add(job.owner)
        if self._job_listeners:
            self._jobs().add((job.owner, job.id))

    def jobs_claimed(self, jobs: Sequence[Job]) -> None:
        """A claim changed these jobs (ACTIVE -> IN_PROGRESS, or missed fires recorded): their
        subscribers hear of it after the commit, though no message is written."""
        if self._job_listeners:
            self._jobs().update((job.owner, job.id) for job in jobs)

    def after_commit(self) -> None:
        owners, jobs = frozenset(self._written()), frozenset(self._jobs())
        self._pending.owners, self._pending.jobs = set(), set()
        if owners:
            for listener in self._listeners:
                listener(owners)
        if jobs:
            for job_listener in self._job_listeners:
                job_listener(jobs)

    def _jobs(self) -> set[tuple[str, str]]:
        jobs: set[tuple[str, str]] | None = getattr(self._pending, "jobs", None)
        if jobs is None:
            jobs = self._pending.jobs = set()
        return jobs

    def _written(self) -> set[str]:
        owners: set[str] | None = getattr(self._pending, "owners", None)
        if owners is None:
            owners = self._pending.owners = set()
        return owners
