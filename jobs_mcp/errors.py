"""The one translation point from exceptions to tool error text.

A tool error's text starts with a code (`invalid_argument:`, `not_found:`,
`conflict:`, `limit_exceeded:`, `unavailable:`, `unauthorized:`). A database
that cannot serve (read-only, disk full, unreachable) is `unavailable:` with the
cause, logged once per cause rather than per call. An exception we did not
expect is logged with a reference id and the caller gets only that id: no
stack trace, no SQL, no driver text.
"""

from __future__ import annotations

import logging
import secrets

from pydantic import ValidationError

from scheduler.jobs.fields import invalid_arguments
from store.errors import JobsError
from store.unavailable import as_unavailable, report

log = logging.getLogger(__name__)


def _validation_text(exc: ValidationError) -> str:
    return "invalid_argument: " + "; ".join(e.message for e in invalid_arguments(exc)[:5])


def _root_cause(exc: BaseException) -> BaseException:
    """Unwrap the SDK's ToolError/UnexpectedToolError wrappers down to what our code raised."""
    seen = 0
    while exc.__cause__ is not None and seen < 5 and not isinstance(exc, JobsError | ValidationError):
        exc = exc.__cause__
        seen += 1
    return exc


def error_text(exc: BaseException, *, tool: str) -> str:
    cause = _root_cause(exc)
    unavailable = as_unavailable(cause)
    if unavailable is not None:
        report(unavailable, tool)
        return f"unavailable: {unavailable.message}"
    if isinstance(cause, JobsError):
        if cause.code == "internal_error":
            return _internal(cause, tool)
        return f"{cause.code}: {cause.message}"
    if isinstance(cause, ValidationError):
        return _validation_text(cause)
    message = str(exc)
    if message.startswith("Unknown tool:"):
        return f"not_found: no tool named {tool!r}"
    return _internal(cause, tool)


def _internal(exc: BaseException, tool: str) -> str:
    reference = secrets.token_hex(4)
    log.error("tool %s failed unexpectedly (reference %s)", tool, reference, exc_info=exc)
    return f"internal_error: the server could not complete {tool} (reference {reference}); try again"
