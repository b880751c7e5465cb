"""Batched writes with SQLAlchemy's per-row work cut down: compile once, bind with the type's own processors.

`conn.execute(stmt, rows)` rebuilds every row's parameters through the
compiler (`construct_params`) before applying each column type's bind
processor; at thousands of rows a second that costs more than the database
work itself. `execute_many` compiles the statement once per dialect and key
set, applies the very same bind processors (UTCDateTime, JSON, ...) in one
pass, and hands the rows to the driver's executemany. Anything the shortcut
cannot reproduce exactly (Python-side column defaults, expanding or escaped
parameters, a key the statement does not bind) goes through `conn.execute`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Insert, Table, insert
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

Binder = Callable[[dict[str, Any]], Any]
_UNSUPPORTED = object()  # cached: this statement must take the ordinary path
# Keyed by the dialect and statement objects themselves (held here, so never reused): callers pass
# module-level statements, so this stays a handful of entries.
_plans: dict[tuple[Dialect, ClauseElement, tuple[str, ...]], tuple[str, Binder] | object] = {}


def insert_many(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """INSERT `rows` (same keys in every row) into `table`."""
    if rows:
        execute_many(conn, _insert(table), rows)


def execute_many(conn: Connection, stmt: ClauseElement, rows: Sequence[dict[str, Any]]) -> int:
    """Execute `stmt` (a module-level statement) once per row, same keys in every row; returns the
    rows matched in total."""
    if not rows:
        return 0
    keys = tuple(rows[0])
    cache_key = (conn.dialect, stmt, keys)
    plan = _plans.get(cache_key)
    if plan is None:
        plan = _plans[cache_key] = _plan(conn.dialect, stmt, keys)
    if plan is _UNSUPPORTED:
        return conn.execute(stmt, list(rows)).rowcount
    sql, bind = plan  # type: ignore[misc]
    return conn.exec_driver_sql(sql, [bind(row) for row in rows]).rowcount


_inserts: dict[Table, Insert] = {}


def _insert(table: Table) -> Insert:
    # One statement object per table, so the plan cache (keyed by the statement) is hit.
    stmt = _inserts.get(table)
    if stmt is None:
        stmt = _inserts[table] = insert(table)
    return stmt


def _plan(dialect: Dialect, stmt: ClauseElement, keys: tuple[str, ...]) -> tuple[str, Binder] | object:
    compiled = stmt.compile(dialect=dialect, column_keys=list(keys), for_executemany=True)
    if not isinstance(compiled, SQLCompiler) or not _plain(compiled):
        return _UNSUPPORTED
    names = list(compiled.positiontup or []) if compiled.positional else list(compiled.bind_names.values())
    if not set(names) <= set(keys):
        return _UNSUPPORTED
    processors = compiled._bind_processors
    # The values in statement order in one C call (itemgetter), then the processors on their columns only:
    # most columns (ids, text, numbers) have none, and a Python step per column was most of the binding.
    pick = itemgetter(*names) if len(names) > 1 else (lambda row: (row[names[0]],))
    steps = [(index, proc) for index, name in enumerate(names) if (proc := processors.get(name)) is not None]
    if compiled.positional:
        def bind(row: dict[str, Any]) -> Any:
            values = list(pick(row))
            for index, proc in steps:
                values[index] = proc(values[index])
            return tuple(values)
    else:
        def bind(row: dict[str, Any]) -> Any:
            values = list(pick(row))
            for index, proc in steps:
                values[index] = proc(values[index])
            return dict(zip(names, values, strict=True))
    return compiled.string, bind


def _plain(compiled: SQLCompiler) -> bool:
    """No per-row work beyond bind processors: no Python defaults, expansion, escaping or schema maps."""
    return not (compiled.insert_prefetch or compiled.update_prefetch or compiled.literal_execute_params
                or compiled.post_compile_params or compiled.escaped_bind_names or compiled.schema_translate_map
                or compiled.returning)
