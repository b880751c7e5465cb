"""Bounded SQLite reads made on the calling thread (the event loop's) that never wait for a lock.

Why: a by-id read takes about 0.2 ms, but handing it to a worker thread cost the event loop 1-2.4 ms
of CPU per call (waking the worker through anyio's queue, the GIL hand-over while the OS runs it;
docs/performance.md, issue 16 phase 4). A read on the loop is safe only if it cannot stop the whole
server, so its connection (store/engine.py `quick_read_engine`):

- is its own (one per thread, never a pooled connection a worker thread may hold), `query_only`;
- has no busy wait (timeout 0): in WAL mode a reader does not wait for the writer, and in the rare
  moments it would (recovering the WAL index, the log being reset), SQLite answers SQLITE_BUSY at
  once, raised here as `WouldWait`, and the caller takes the worker-thread path instead;
- is used only for reads bounded by an index: a job by primary key and its few newest runs.

Any other database error is `WouldWait` too: the thread path reads again and translates the error
where every store error is translated. PostgreSQL (a network round trip) and in-memory SQLite get
no quick reads: `QuickReads.open` returns None.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from store.engine import quick_read_engine


class WouldWait(Exception):
    """The quick read could not be made without waiting (or failed): use the worker-thread path."""


class QuickReads:
    """Per-thread read-only connections to a SQLite file, for reads that must not wait."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, engine: Engine) -> QuickReads | None:
        """Quick reads beside `engine`, or None where they do not apply (PostgreSQL, in-memory SQLite)."""
        quick = quick_read_engine(engine)
        return cls(quick) if quick is not None else None

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """A read transaction on this thread's connection; `WouldWait` if SQLite would have to wait."""
        try:
            with self.engine.connect() as conn:
                yield conn
        except DBAPIError as exc:
            raise WouldWait(str(exc.orig)) from exc

    def close(self) -> None:
        self.engine.dispose()
