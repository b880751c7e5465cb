"""The tables of docs/design.md §4.

Times are aware UTC datetimes (see `UTCDateTime`). JSON columns hold plain
lists and dicts. `version` is bumped on every write to a job row and checked
by the repository (optimistic concurrency).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    ColumnElement,
    Index,
    LargeBinary,
    Text,
    UniqueConstraint,
    and_,
    false,
    literal_column,
    or_,
)
from sqlmodel import Field, SQLModel

from store import limits as L
from store.enums import JobAction, JobStatus
from store.types import UTCDateTime


def _utc(**kwargs: Any) -> Any:
    return Field(default=None, sa_type=UTCDateTime, **kwargs)


class Job(SQLModel, table=True):
    __tablename__ = "jobs"
    __table_args__ = (
        UniqueConstraint("owner", "idempotency_key", name="uq_jobs_owner_idempotency_key"),
        Index("ix_jobs_owner_status", "owner", "status"),
        Index("ix_jobs_owner_created", "owner", "created_at"),
        Index("ix_jobs_due", "status", "next_run_at"),
        Index("ix_jobs_lease", "status", "lease_until"),
        Index("ix_jobs_updated", "updated_at"),  # the search index's change feed
    )

    id: str = Field(primary_key=True, max_length=16)
    owner: str = Field(max_length=200)
    chat_id: str | None = Field(default=None, max_length=L.CHAT_ID_MAX)
    title: str = Field(max_length=L.TITLE_MAX)
    instructions: str = Field(sa_type=Text)
    job_type: str = Field(max_length=16)
    action: str = Field(default="agent", max_length=16)

    # Schedule. `schedule_text` is the plain-words phrase as the caller gave it.
    schedule_text: str | None = Field(default=None, max_length=L.SCHEDULE_MAX)
    run_at: datetime | None = _utc()
    cron: str | None = Field(default=None, max_length=L.CRON_MAX)
    interval_seconds: int | None = None
    interval_days: int | None = None
    anchor_at: datetime | None = _utc()
    wall_time: str | None = Field(default=None, max_length=8)  # HH:MM:SS kept by interval_days fires
    timezone: str = Field(default="UTC", max_length=L.TIMEZONE_MAX)
    start_at: datetime | None = _utc()
    end_at: datetime | None = _utc()
    max_runs: int | None = None
    end_condition: str | None = Field(default=None, sa_type=Text)
    misfire_grace_seconds: int = 3600

    status: str = Field(max_length=16)
    # The status an ARCHIVED job ended with (COMPLETED, FAILED, CANCELLED): a job depending on it asks.
    archived_from: str | None = Field(default=None, max_length=16)
    paused_reason: str | None = Field(default=None, sa_type=Text)
    depends_on: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    next_run_at: datetime | None = _utc()
    last_run_at: datetime | None = _utc()
    run_count: int = 0
    attempt: int = 0
    max_attempts: int = 3
    timeout_seconds: int = 300
    # Optional spending cap over all the job's runs (sum of job_runs.cost_usd); exceeded -> BLOCKED.
    max_cost_usd: float | None = None
    last_error: str | None = Field(default=None, sa_type=Text)
    state: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    guidance: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Agent runs (docs/agent-tools.md): the model and its limits for this job (None: the server's), and the
    # MCP tools its runs may call ("<server>" or "<server>/<tool>").
    model: str | None = Field(default=None, max_length=L.MODEL_MAX)
    max_turns: int | None = None
    system_prompt: str | None = Field(default=None, sa_type=Text)
    agent_tools: list[str] = Field(default_factory=list,
                                   sa_column=Column(JSON, nullable=False, server_default="[]"))

    webhook_url: str | None = Field(default=None, max_length=L.WEBHOOK_URL_MAX)
    webhook_secret: str | None = Field(default=None, max_length=L.WEBHOOK_SECRET_MAX)
    # Apprise URLs, stored as given (they hold secrets: shown masked, never returned whole).
    # The server defaults are revision 0003's (a new database is made from these models: store/schema.py).
    channels: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]"))
    urgent: bool = Field(default=False,  # channel pushes are not held during the owner's quiet hours
                         sa_column_kwargs={"server_default": false()})
    idempotency_key: str | None = Field(default=None, max_length=L.IDEMPOTENCY_KEY_MAX)

    claimed_by: str | None = Field(default=None, max_length=200)
    lease_until: datetime | None = _utc()
    version: int = 1
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)

    embedding: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    embedding_model: str | None = Field(default=None, max_length=200)


class JobRun(SQLModel, table=True):
    __tablename__ = "job_runs"
    __table_args__ = (Index("ix_job_runs_job_started", "job_id", "scheduled_for"),
                      Index("ix_job_runs_owner_started", "owner", "started_at"))  # the daily spend quota

    id: str = Field(primary_key=True, max_length=24)
    # No index of its own: ix_job_runs_job_started starts with job_id (revision 0006 dropped the duplicate).
    job_id: str = Field(foreign_key="jobs.id", max_length=16)
    owner: str = Field(max_length=200)
    attempt: int = 1
    scheduled_for: datetime | None = _utc()
    started_at: datetime | None = _utc()
    finished_at: datetime | None = _utc()
    outcome: str = Field(max_length=16)
    verdict: str | None = Field(default=None, max_length=16)
    summary: str | None = Field(default=None, sa_type=Text)
    output: str | None = Field(default=None, sa_type=Text)
    error: str | None = Field(default=None, sa_type=Text)
    worker: str | None = Field(default=None, max_length=200)
    tokens_in: int = 0
    tokens_out: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cost_usd: float = 0.0
    trace: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class JobEvent(SQLModel, table=True):
    __tablename__ = "job_events"

    id: int | None = Field(default=None, primary_key=True)
    job_id: str = Field(max_length=16, index=True)
    owner: str = Field(max_length=200)
    at: datetime = Field(sa_type=UTCDateTime)
    from_status: str | None = Field(default=None, max_length=16)
    to_status: str = Field(max_length=16)
    actor: str = Field(max_length=200)
    reason: str | None = Field(default=None, sa_type=Text)


class Delivery(SQLModel, table=True):
    """The outbox (docs/design.md §4, §7): one row per message for the chat's inbox and per webhook call.

    Written in the same transaction as the run (or transition) that caused it,
    so a recorded run always has its messages and a message always has its run.
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        Index("ix_deliveries_inbox", "owner", "kind", "read_at", "created_at"),
        Index("ix_deliveries_due", "kind", "status", "next_attempt_at"),
        Index("ix_deliveries_run", "run_id"),
    )

    id: str = Field(primary_key=True, max_length=24)
    owner: str = Field(max_length=200)
    job_id: str = Field(max_length=16, index=True)
    run_id: str | None = Field(default=None, max_length=24)
    chat_id: str | None = Field(default=None, max_length=200)
    kind: str = Field(max_length=8)  # inbox | webhook | channel
    event: str = Field(max_length=40)  # run.finished | job.completed | job.failed | job.blocked | job.cancelled
    status: str = Field(max_length=12)  # inbox: ready; webhook, channel: pending | sending | delivered | failed
    target: str | None = Field(default=None, sa_type=Text)  # channel: its Apprise URL as given (secret)
    title: str = Field(max_length=200)
    message: str = Field(sa_type=Text)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    attempts: int = 0
    next_attempt_at: datetime | None = _utc()
    last_error: str | None = Field(default=None, sa_type=Text)
    claimed_by: str | None = Field(default=None, max_length=200)
    lease_until: datetime | None = _utc()
    created_at: datetime = Field(sa_type=UTCDateTime)
    delivered_at: datetime | None = _utc()
    read_at: datetime | None = _utc()


class LlmSpend(SQLModel, table=True):
    """LLM spend outside runs (the chat judge of job_observe_chat, schedule readings), per owner.

    Runs keep their own cost in job_runs.cost_usd; the daily spend quota adds the two.
    """

    __tablename__ = "llm_spend"
    __table_args__ = (Index("ix_llm_spend_owner_at", "owner", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    owner: str = Field(max_length=200)
    at: datetime = Field(sa_type=UTCDateTime)
    usd: float
    purpose: str = Field(max_length=40)


class OwnerSettings(SQLModel, table=True):
    """An owner's defaults (the owner_settings tool): read by job creation and by the outbox."""

    __tablename__ = "owner_settings"

    owner: str = Field(primary_key=True, max_length=200)
    timezone: str | None = Field(default=None, max_length=L.TIMEZONE_MAX)  # jobs that name no zone
    channels: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # jobs without any
    quiet_hours: str | None = Field(default=None, max_length=L.QUIET_HOURS_MAX)  # "HH:MM-HH:MM" in `timezone`
    updated_at: datetime = Field(sa_type=UTCDateTime)


# The jobs table's columns but the stored search vector (1.5 KB of a row's bytes, never part of an answer):
# what the reads that answer with jobs (by id, keyword hits) select.
JOB_COLUMNS_WITHOUT_VECTOR: list[Column[Any]] = [c for c in Job.__table__.c if c.name != "embedding"]  # type: ignore[attr-defined]


def _constant(value: str) -> ColumnElement[str]:
    return literal_column(f"'{value}'")


_JOBS = Job.__table__.c  # type: ignore[attr-defined]
# The jobs the run slots claim while the reminder lane fires plain reminders: ACTIVE, and not
# `store.claims.reminder_rows`. Its constants are written into the SQL, not bound: SQLite uses a
# partial index only for a query whose WHERE holds the index's terms as written (a parameter never
# matches a constant), and a generic PostgreSQL plan likewise. The slot claim and the index below
# share this one expression. Without the index, each pass's slot claim walked every due reminder of
# a burst in ix_jobs_due: 7 ms a pass with 10,000 due (docs/performance.md, phase 5).
SLOT_JOBS: ColumnElement[bool] = and_(
    _JOBS.status == _constant(JobStatus.ACTIVE.value),
    or_(_JOBS.action != _constant(JobAction.NOTIFY.value), _JOBS.max_cost_usd.is_not(None)))
# It holds every column the slot claim and `next_due` read, although `status` is the same in all its
# entries: without ANALYZE, SQLite's planner rates a partial index no smaller than the table, so over
# the jobs table's wide rows it took ix_jobs_due (same terms, created later) unless this one spares
# the row lookups (a covering index).
Index("ix_jobs_due_slots", _JOBS.status, _JOBS.next_run_at, _JOBS.claimed_by, _JOBS.id, _JOBS.action,
      _JOBS.max_cost_usd, sqlite_where=SLOT_JOBS, postgresql_where=SLOT_JOBS)
