"""One in-process lock per SQLite engine, taken around every write transaction.

SQLite has one writer. Two threads of one process that both BEGIN IMMEDIATE
are serialized by SQLite's busy handler, which sleeps in growing steps (up to
100 ms): a claim waiting behind a finish could start a fire late by that much.
A Python lock hands the writer slot over at once instead. PostgreSQL needs none.
"""

from __future__ import annotations

import threading
import weakref
from contextlib import AbstractContextManager, nullcontext

from sqlalchemy import Engine

_locks: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()
_guard = threading.Lock()


def write_lock(engine: Engine) -> AbstractContextManager[object]:
    if engine.dialect.name != "sqlite":
        return nullcontext()
    with _guard:
        lock = _locks.get(engine)
        if lock is None:
            lock = _locks[engine] = threading.Lock()
        return lock
