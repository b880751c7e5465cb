"""The one exception hierarchy of jobs-mcp.

Every layer raises these; `jobs_mcp.errors` is the single place that turns them
into tool errors. Each subclass carries the data a caller needs to fix the
request, so the message is built from fields, never from driver text.
"""

from __future__ import annotations


class JobsError(Exception):
    """Root of every domain error."""

    code: str = "internal_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidArgument(JobsError):
    """A field's value is not acceptable; nothing was changed."""

    code = "invalid_argument"

    def __init__(self, field: str, expected: str, got: object | None = None, *, reason: str | None = None) -> None:
        self.field = field
        self.expected = expected
        self.got = got
        self.reason = reason
        shown = "" if got is None else f", got {_short(got)}"
        why = f"{reason}; " if reason else ""
        super().__init__(f"{field}: {why}expected {expected}{shown}")


class NotFound(JobsError):
    """No such object for this owner (another owner's object is reported the same way)."""

    code = "not_found"

    def __init__(self, kind: str, object_id: str, *, field: str | None = None) -> None:
        self.kind = kind
        self.object_id = object_id
        self.field = field
        prefix = f"{field}: " if field else ""
        super().__init__(f"{prefix}{kind} {object_id!r} does not exist")


class Conflict(JobsError):
    """The request does not fit the job's current state."""

    code = "conflict"

    def __init__(self, message: str, *, job_id: str | None = None, status: str | None = None) -> None:
        self.job_id = job_id
        self.status = status
        super().__init__(message)


class StaleVersion(Conflict):
    """The row changed between read and write (optimistic concurrency)."""

    def __init__(self, job_id: str) -> None:
        super().__init__(f"job {job_id} was changed concurrently; read it again and retry", job_id=job_id)


class LimitExceeded(JobsError):
    """A per-owner quota is used up; the message names the limit, its setting and what to do."""

    code = "limit_exceeded"

    def __init__(self, limit: str, setting: str, advice: str) -> None:
        self.limit = limit
        self.setting = setting
        super().__init__(f"{limit} ({setting}); {advice}")


class Unauthorized(JobsError):
    code = "unauthorized"


class StoreUnavailable(JobsError):
    """The database cannot do what was asked right now; nothing was changed.

    `cause` says why in words an operator can act on ("the database is read-only", "the disk is
    full", "the database cannot be reached"); `store.unavailable` derives it from the driver error.
    """

    code = "unavailable"

    def __init__(self, cause: str, *, advice: str = "try again later") -> None:
        self.cause = cause
        super().__init__(f"{cause}; {advice}")


class DatabaseUnusable(JobsError):
    """The configured database cannot be used at all; raised before the server starts on it."""

    code = "unavailable"


class SchemaTooNew(DatabaseUnusable):
    """The database is at a schema revision this release does not know: a newer release migrated it."""

    def __init__(self, revision: str, head: str) -> None:
        self.revision = revision
        self.head = head
        super().__init__(f"the database is at schema revision {revision!r}, which this jobs-mcp does not know "
                         f"(its newest is {head!r}): a newer release migrated it; run that release, or give "
                         "another database")


class ToolServerUnavailable(JobsError):
    """An MCP server of the agent tools cannot be started or reached (or its connection was lost)."""

    code = "unavailable"

    def __init__(self, server: str, cause: str) -> None:
        self.server = server
        self.cause = cause
        super().__init__(f"MCP server {server!r} cannot be reached: {cause}")


def _short(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
