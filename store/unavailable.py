"""Database failures an operator must fix, named in their words, and logged once rather than per call.

A read-only file, a full disk or an unreachable server makes every call fail
the same way. Callers get `unavailable: <cause>; try again later`
(`StoreUnavailable`); the log gets one line per cause and then, while the
cause persists, one line every `REPORT_EVERY_S` with the number of calls
refused since, instead of a traceback per call.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import exc as sa_exc

from store.errors import StoreUnavailable

log = logging.getLogger(__name__)

READ_ONLY = "the database is read-only"
DISK_FULL = "the disk is full"
UNREACHABLE = "the database cannot be reached"
REPORT_EVERY_S = 300.0

# SQLite primary result codes (https://sqlite.org/rescode.html) -> cause
_SQLITE_CAUSES = {
    3: "the database file may not be accessed (SQLITE_PERM)",
    5: "the database is locked by another process",
    6: "the database is locked by another process",
    8: READ_ONLY,
    10: "the database file cannot be read or written (disk I/O error)",
    11: "the database file is damaged",
    13: DISK_FULL,
    14: "the database file cannot be opened",
    26: "the database file is damaged",
}
# PostgreSQL SQLSTATE (https://www.postgresql.org/docs/current/errcodes-appendix.html) -> cause
_PG_CAUSES = {
    "25006": READ_ONLY,  # read_only_sql_transaction (a standby, or default_transaction_read_only)
    "53100": DISK_FULL,
    "53200": "the database server is out of memory",
    "53300": "the database server has no free connections",
    "57P01": UNREACHABLE, "57P02": UNREACHABLE, "57P03": UNREACHABLE,  # shutting down / starting up
    "3D000": "the database does not exist",
    "28000": "the database refused the credentials", "28P01": "the database refused the credentials",
}


def unavailable_cause(error: BaseException) -> str | None:
    """The operator's cause behind a driver error, or None if it is not a database availability problem."""
    if isinstance(error, sa_exc.TimeoutError):  # the connection pool stayed exhausted
        return "the database server has no free connections"
    if isinstance(error, sa_exc.DBAPIError):
        if error.connection_invalidated:
            return UNREACHABLE
        error = error.orig or error
    if isinstance(error, sqlite3.Error):
        code = getattr(error, "sqlite_errorcode", None)
        return None if code is None else _SQLITE_CAUSES.get(code & 0xFF)
    sqlstate = getattr(error, "sqlstate", None)
    if type(error).__module__.startswith("psycopg"):
        if sqlstate is None:
            return UNREACHABLE if type(error).__name__ == "OperationalError" else None
        return _PG_CAUSES.get(sqlstate) or (UNREACHABLE if sqlstate.startswith("08") else None)
    return None


def as_unavailable(error: BaseException) -> StoreUnavailable | None:
    """`error` as a StoreUnavailable (itself, or built from a driver error), or None."""
    if isinstance(error, StoreUnavailable):
        return error
    cause = unavailable_cause(error)
    if cause is None:
        return None
    unavailable = StoreUnavailable(cause)
    unavailable.__cause__ = error
    return unavailable


def unavailable_from(error: BaseException,
                     fallback: str = "the database could not complete the operation") -> StoreUnavailable:
    """A StoreUnavailable for an OperationalError the store caught, with `fallback` when no cause is known."""
    return as_unavailable(error) or StoreUnavailable(fallback)


@contextmanager
def translated() -> Iterator[None]:
    """An OperationalError inside the block (an outage, a full disk, a lock) leaves as StoreUnavailable."""
    try:
        yield
    except sa_exc.OperationalError as exc:
        raise unavailable_from(exc) from exc


class ReportLimiter:
    """Says whether a cause should be logged now: the first time, then once per `every_s` while it lasts.

    Rate limiting of log lines is not job logic, so it reads a monotonic clock of its own.
    """

    def __init__(self, every_s: float = REPORT_EVERY_S, now_s: Callable[[], float] = time.monotonic) -> None:
        self.every_s = every_s
        self.now_s = now_s
        self._last: dict[str, tuple[float, int]] = {}  # cause -> (last logged, calls refused since)
        self._lock = threading.Lock()

    def due(self, cause: str) -> int | None:
        """None if this occurrence is to be kept quiet, else how many were kept quiet before it."""
        now = self.now_s()
        with self._lock:
            last = self._last.get(cause)
            if last is not None and now - last[0] < self.every_s:
                self._last[cause] = (last[0], last[1] + 1)
                return None
            self._last[cause] = (now, 0)
            return 0 if last is None else last[1]


_limiter = ReportLimiter()


def report(error: StoreUnavailable, where: str, limiter: ReportLimiter | None = None) -> None:
    """Log `error` unless its cause was logged within the report interval."""
    quiet = (limiter or _limiter).due(error.cause)
    if quiet is None:
        return
    driver = str(error.__cause__ or "").strip().splitlines()[:1]
    detail = f" ({driver[0][:300]})" if driver else ""
    again = f"; {quiet} more calls failed the same way since the last report" if quiet else ""
    log.error("database unavailable in %s: %s%s%s", where, error.cause, detail, again)
