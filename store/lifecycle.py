"""The status lifecycle of docs/design.md §3, as one table.

Every status change in the system is checked here; anything not listed is a
`Conflict` that names the current status.
"""

from __future__ import annotations

from store.enums import JobStatus as S
from store.errors import Conflict

# (from, to) -> its label in docs/design.md §3; the claim's event reason carries it ("due (e)").
ALLOWED_TRANSITIONS: dict[tuple[S, S], str] = {
    (S.PENDING, S.ACTIVE): "c",
    (S.PENDING, S.BLOCKED): "d",
    (S.ACTIVE, S.IN_PROGRESS): "e",
    (S.IN_PROGRESS, S.ACTIVE): "f",
    (S.IN_PROGRESS, S.COMPLETED): "g",
    (S.IN_PROGRESS, S.FAILED): "h",
    (S.ACTIVE, S.PAUSED): "i",
    (S.PENDING, S.PAUSED): "i",
    (S.BLOCKED, S.PAUSED): "i",
    (S.PAUSED, S.ACTIVE): "j",
    (S.FAILED, S.ACTIVE): "j",
    (S.BLOCKED, S.ACTIVE): "j",
    (S.ACTIVE, S.CANCELLED): "k",
    (S.PENDING, S.CANCELLED): "k",
    (S.BLOCKED, S.CANCELLED): "k",
    (S.PAUSED, S.CANCELLED): "k",
    (S.IN_PROGRESS, S.CANCELLED): "k",
    (S.COMPLETED, S.ARCHIVED): "l",
    (S.FAILED, S.ARCHIVED): "l",
    (S.CANCELLED, S.ARCHIVED): "l",
    # A paused job that was resumed while its dependencies are unfinished waits again.
    (S.PAUSED, S.PENDING): "j",
    # An ACTIVE job whose dependency set changed (job_update) waits for the new ones.
    (S.ACTIVE, S.PENDING): "a",
    # job_update on a PENDING job that removed its unfinished dependencies.
    # (PENDING -> ACTIVE is already "c".)
    # A blocked job whose failed dependency was removed by job_update may wait again.
    (S.BLOCKED, S.PENDING): "j",
    # A pause that lands while a run is in flight: the run finishes, the job stays paused.
    (S.IN_PROGRESS, S.PAUSED): "i",
    # job_update made a ready job depend on a failed or cancelled one.
    (S.ACTIVE, S.BLOCKED): "d",
    # The engine blocks a job mid-run (cost limit exceeded).
    (S.IN_PROGRESS, S.BLOCKED): "d",
    # The engine's misfire policy: a one-off whose only fire was missed beyond its grace fails
    # (job_resume retries it); a schedule that ran out while the server was down completes.
    (S.ACTIVE, S.FAILED): "h",
    (S.ACTIVE, S.COMPLETED): "g",
}

# What a caller can do instead when an operation is refused in a status. Every tool named here is
# allowed from that status (tests/store/test_lifecycle.py calls each one to prove it).
_ENDED = "create a new job with job_create"
STATUS_HINTS: dict[S, str] = {
    S.COMPLETED: f"it has completed; {_ENDED}",
    S.CANCELLED: f"it was cancelled; {_ENDED}",
    S.ARCHIVED: f"it is archived; {_ENDED}",
    S.FAILED: "it has failed; job_resume retries it",
    S.PAUSED: "it is paused; job_resume resumes it",
    S.BLOCKED: "it is blocked (see last_error); job_update can change its dependencies, job_cancel ends it",
    S.PENDING: "it waits for its dependencies; job_update can change them",
    S.IN_PROGRESS: "it is running now; job_pause or job_cancel acts on it",
}
# (operation, status) -> a hint more precise than the status's own.
OPERATION_HINTS: dict[tuple[str, S], str] = {
    ("resume", S.ACTIVE): "it is not paused",
    ("resume", S.PENDING): "it is not paused; it waits for its dependencies",
    ("resume", S.IN_PROGRESS): "it is running now, not paused",
    ("pause", S.PAUSED): "it is already paused; job_resume resumes it",
    ("archive", S.ARCHIVED): "it is already archived",
    **{(operation, status): "it has not finished; job_cancel ends it first"
       for operation in ("archive", "delete")
       for status in (S.PENDING, S.ACTIVE, S.IN_PROGRESS, S.PAUSED, S.BLOCKED)},
}


def next_step(status: S, operation: str) -> str:
    """'; <what to do instead>' for a refused `operation` on a job in `status`, or ''."""
    hint = OPERATION_HINTS.get((operation, status)) or STATUS_HINTS.get(status, "")
    return f"; {hint}" if hint else ""


def check_transition(job_id: str, current: S, target: S, operation: str) -> str:
    """Return the diagram letter for current -> target, or raise Conflict naming the status."""
    letter = ALLOWED_TRANSITIONS.get((current, target))
    if letter is None:
        raise Conflict(
            f"cannot {operation} job {job_id}: its status is {current.value}{next_step(current, operation)}",
            job_id=job_id,
            status=current.value,
        )
    return letter
