"""Damaged rows: telling one from a failing database, checking a job row, and setting a job aside.

The engine works in batches, and one row it cannot read or plan (JSON that does not parse,
a date past the calendar, an unknown job type, a schedule whose next fire overflows) must
not stop the batch. The rule every engine step follows (docs/engine.md, "Fault isolation"):

- the happy path stays one batch;
- a batch that fails on a *row fault* is done again one row at a time, each in its own
  transaction, and a row that fails alone is set aside: its job becomes FAILED (BLOCKED
  while it waits for dependencies) with the reason in an engine event and the owner's inbox;
- anything else (the database down, the disk full, a lock timeout, a bug in the statement
  itself) is not a row fault: the pass fails as a whole and the next one retries, exactly
  as before, so an outage never fails jobs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, select, update
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, StatementError

from store.enums import JobAction, JobStatus, JobType
from store.errors import JobsError, StaleVersion, StoreUnavailable
from store.lifecycle import check_transition
from store.models import Job, JobEvent
from store.run_types import ENGINE_ACTOR, Outbox

log = logging.getLogger(__name__)
K = TypeVar("K")
T = TypeVar("T")

JOBS = Job.__table__  # type: ignore[attr-defined]
EVENTS = JobEvent.__table__  # type: ignore[attr-defined]
REASON_MAX = 1_000
# Python's errors for a value that is not what the code expects: bad JSON and dates (ValueError),
# a NULL or a wrong type (TypeError, AttributeError), a date past year 9999 (OverflowError), an
# unknown time zone (KeyError).
_VALUE_ERRORS = (ValueError, TypeError, ArithmeticError, LookupError, AttributeError, AssertionError)
_JOB_TYPES = frozenset(t.value for t in JobType)
_ACTIONS = frozenset(a.value for a in JobAction)
_WHOLE_NUMBERS = ("misfire_grace_seconds", "run_count", "attempt", "max_attempts", "timeout_seconds", "version")


def is_row_fault(exc: BaseException) -> bool:
    """True if `exc` comes from the data of a row rather than from the database or the statement."""
    if isinstance(exc, (StoreUnavailable, StaleVersion)):
        return False  # an outage, or a concurrent writer: retry, never blame the row
    if isinstance(exc, DBAPIError):
        # The driver refused a value (NUL in text, a timestamp beyond year 9999) or a constraint;
        # everything else from the driver (connection, locks, syntax) concerns every row alike.
        return isinstance(exc, (DataError, IntegrityError))
    if isinstance(exc, StatementError):
        return True  # a value that could not be bound: the driver never saw the statement
    return isinstance(exc, (JobsError, *_VALUE_ERRORS))


def fault_text(exc: BaseException) -> str:
    """A one-line description of a row fault for events and logs, without the statement or its
    parameters (a batch's parameters hold other owners' rows)."""
    cause = exc.orig if isinstance(exc, StatementError) and exc.orig is not None else exc
    message = str(cause).strip().splitlines()[0] if str(cause).strip() else ""
    text = f"{type(cause).__name__}: {message}" if message else type(cause).__name__
    return text.replace("\x00", "")[:REASON_MAX]


def row_problem(job: Job) -> str | None:
    """What makes a job row unusable although it was read (a value the model does not allow), or None.

    Loading a row into `Job` does not validate it, so a manual edit or an older version can leave
    values the engine would only trip over later, or worse, misread (an unknown action ran as agent).
    """
    if job.job_type not in _JOB_TYPES:
        return f"job_type {job.job_type!r} is not one of {', '.join(sorted(_JOB_TYPES))}"
    if job.action not in _ACTIONS:
        return f"action {job.action!r} is not one of {', '.join(sorted(_ACTIONS))}"
    deps = job.depends_on
    if type(deps) is not list or any(type(d) is not str for d in deps):
        return f"depends_on is {_short(deps)}, not a list of job ids"
    if type(job.state) is not dict:
        return f"state is {_short(job.state)}, not a JSON object"
    if type(job.guidance) is not list:
        return f"guidance is {_short(job.guidance)}, not a list of notes"
    for name in _WHOLE_NUMBERS:
        value = getattr(job, name)
        if type(value) is not int:
            return f"{name} is {_short(value)}, not a whole number"
    return None


def one_at_a_time(keys: Iterable[K], attempt: Callable[[K], T], set_aside: Callable[[K, str], None]) -> list[T]:
    """The careful path after a batch failed on a row fault: `attempt(key)` for each key, each its own
    transaction; a key whose attempt fails on a row fault goes to `set_aside(key, reason)`. Any other
    error propagates: the pass fails as it would have without the damaged row."""
    done: list[T] = []
    for key in keys:
        try:
            done.append(attempt(key))
        except Exception as exc:
            if not is_row_fault(exc):
                raise
            set_aside(key, fault_text(exc))
    return done


def set_aside(conn: Connection, outbox: Outbox | None, job_id: str, targets: Mapping[JobStatus, JobStatus],
              reason: str, now: datetime) -> bool:
    """Write a job row that cannot be read or planned without reading it whole: its status becomes
    `targets[current status]` (a status not in `targets` means the row moved on: nothing is written),
    the lease is cleared, the reason is its last_error, an engine event records the change, and the
    owner's inbox is told. Only plain columns are read, so a damaged JSON or date column cannot stop it.
    Returns True if the row was written."""
    row = conn.execute(select(JOBS.c.id, JOBS.c.owner, JOBS.c.title, JOBS.c.chat_id, JOBS.c.webhook_url,
                              JOBS.c.status).where(JOBS.c.id == job_id)).first()
    current = _status(row.status) if row is not None else None
    if row is None or current not in targets:
        return False
    target = targets[current]
    values: dict[str, Any] = {"status": target.value, "claimed_by": None, "lease_until": None,
                              "last_error": reason, "version": JOBS.c.version + 1, "updated_at": now}
    if target != JobStatus.ACTIVE:
        values["next_run_at"] = None
    if target != current:
        check_transition(job_id, current, target, "set aside")
    written = conn.execute(update(JOBS).where(JOBS.c.id == job_id, JOBS.c.status == current.value)
                           .values(values)).rowcount
    if not written:
        return False
    log.warning("job set aside as %s: %s", target.value, reason, extra={"job_id": job_id})
    if target != current:
        conn.execute(EVENTS.insert().values(job_id=job_id, owner=row.owner, at=now, from_status=current.value,
                                            to_status=target.value, actor=ENGINE_ACTOR, reason=reason))
        if outbox is not None:
            # Only what a notice needs; text columns may hold anything a manual edit put there.
            job = Job.model_construct(id=job_id, owner=row.owner, title=str(row.title), status=current.value,
                                      chat_id=_text_or_none(row.chat_id), webhook_url=_text_or_none(row.webhook_url))
            outbox.job_ended(conn, job, target, reason, now)
    return True


def unreadable(conn: Connection, job_id: str, why: str) -> str:
    """Why a job row failed on its own, naming the columns that cannot be read (each is read alone)."""
    columns = []
    for column in JOBS.c:
        try:
            conn.execute(select(column).where(JOBS.c.id == job_id)).all()
        except Exception as exc:
            if not is_row_fault(exc):
                raise
            columns.append(column.name)
    if columns:
        return f"its stored {', '.join(columns)} cannot be read ({why})"
    return f"its stored row cannot be used ({why})"


def unusable(problem: str) -> str:
    """The reason given to the owner for a job the engine set aside."""
    return f"the engine cannot use this job: {problem}"[:REASON_MAX]


def _status(value: object) -> JobStatus | None:
    try:
        return JobStatus(value)
    except ValueError:
        return None


def _text_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _short(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
