"""Bounded SQLite reads made on the calling thread (the event loop's) that never wait for a lock.

Why: a by-id read takes about 0.1 ms, but handing it to a worker thread cost the event loop 1-2.4 ms
of CPU per call on a loaded machine (waking the worker through anyio's queue, the GIL hand-over while
the OS runs it; docs/performance.md, issue 16 phase 4). A read on the loop is safe only if it cannot
stop the whole server, so its connection:

- is its own (one per thread, never a pooled connection a worker thread may hold), `query_only`;
- has no busy wait (timeout 0): in WAL mode a reader does not wait for the writer, and in the rare
  moments it would (recovering the WAL index, another process holding the database exclusively),
  SQLite answers SQLITE_BUSY at once, raised here as `WouldWait`, and the caller takes the
  worker-thread path instead;
- serves only reads bounded by an index: a job by primary key and its few newest runs.

Any other database error is `WouldWait` too: the thread path reads again and translates the error
where every store error is translated. PostgreSQL (a network round trip) and in-memory SQLite (another
connection sees another database) get no quick reads: `QuickReads.open` returns None.

The statements are the repository's, compiled once by SQLAlchemy for SQLite; rows go through the
columns' own result conversions (UTC datetimes, JSON), so a quick read returns what the pooled read
returns (tests/store/test_quick_reads.py), without SQLAlchemy's per-execution work, which was three
quarters of the read's CPU.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, Select

from store.engine import is_sqlite


class WouldWait(Exception):
    """The quick read could not be made without waiting (or failed): use the worker-thread path."""


class Prepared:
    """A SELECT compiled once for SQLite: its SQL, its parameters' order and its columns' conversions."""

    def __init__(self, stmt: Select[Any], engine: Engine) -> None:
        dialect = engine.dialect
        compiled = stmt.compile(dialect=dialect)
        self.sql = str(compiled)
        self.params = tuple(compiled.positiontup or ())
        self.fixed = {name: value for name, value in compiled.params.items() if value is not None}  # OFFSET 0
        columns = list(stmt.selected_columns)
        self.names = tuple(c.key for c in columns)
        # The conversions SQLAlchemy's own result rows apply (TypeEngine._cached_result_processor).
        self.converters: tuple[Callable[[Any], Any] | None, ...] = tuple(
            c.type._cached_result_processor(dialect, None) for c in columns)

    def rows(self, conn: sqlite3.Connection, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        given = {**self.fixed, **params}
        cursor = conn.execute(self.sql, tuple(given[name] for name in self.params))
        names, converters = self.names, self.converters
        return [{name: (value if convert is None or value is None else convert(value))
                 for name, convert, value in zip(names, converters, raw, strict=True)} for raw in cursor]


class QuickReads:
    """Per-thread read-only connections to a SQLite file, for reads that must not wait."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.local()
        self._opened: list[sqlite3.Connection] = []
        self._guard = threading.Lock()

    @classmethod
    def open(cls, engine: Engine) -> QuickReads | None:
        """Quick reads beside `engine`, or None where they do not apply (PostgreSQL, in-memory SQLite)."""
        database, query = engine.url.database, engine.url.query
        # A `file:` URI (uri=true) is opened by its own rules (mode, cache): keep those on the pooled path.
        if not is_sqlite(engine) or database in (None, "", ":memory:") or "uri" in query or "mode" in query:
            return None
        return cls(database)

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            # timeout 0: SQLITE_BUSY at once instead of the busy handler's sleeps of up to 100 ms.
            conn = sqlite3.connect(self.path, timeout=0, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA query_only=ON")
            with self._guard:
                self._opened.append(conn)
            self._local.conn = conn
        return conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A read transaction (one snapshot) on this thread's connection; `WouldWait` if SQLite would wait."""
        try:
            conn = self._connection()
            conn.execute("BEGIN DEFERRED")
            try:
                yield conn
            finally:
                conn.execute("ROLLBACK")  # a read: ends the snapshot, so the log can be checkpointed
        except sqlite3.Error as exc:
            raise WouldWait(str(exc)) from exc

    def close(self) -> None:
        with self._guard:
            opened, self._opened = self._opened, []
        for conn in opened:
            conn.close()

