"""The closed vocabularies of the job model (docs/design.md §2-§4)."""

from enum import StrEnum


class JobType(StrEnum):
    ONE_OFF = "ONE_OFF"
    SCHEDULED = "SCHEDULED"
    RECURRING = "RECURRING"
    ONGOING = "ONGOING"


class JobAction(StrEnum):
    AGENT = "agent"
    NOTIFY = "notify"


class JobStatus(StrEnum):
    PENDING = "PENDING"
    ACTIVE = "ACTIVE"
    IN_PROGRESS = "IN_PROGRESS"
    PAUSED = "PAUSED"
    BLOCKED = "BLOCKED"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    ARCHIVED = "ARCHIVED"


class RunOutcome(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    CANCELLED = "cancelled"
    ABANDONED = "abandoned"
    SKIPPED = "skipped"
    MISSED = "missed"
    RUNNING = "running"


class Verdict(StrEnum):
    COMPLETED = "completed"
    CONTINUE = "continue"
    FAILED = "failed"


TERMINAL_STATUSES = frozenset({JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED, JobStatus.ARCHIVED})
