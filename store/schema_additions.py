"""Columns added to existing tables after their first release.

`create_all` creates missing tables but never alters an existing one, so a
database made by an earlier version would lack a newer nullable column and
every SELECT of the model would fail. Each entry here is added if missing:
only nullable columns without a default, which both SQLite and PostgreSQL
add in place without rewriting the table.
"""

from __future__ import annotations

from sqlalchemy import Engine, inspect, text

# (table, column, SQL type)
ADDED_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("jobs", "max_cost_usd", "DOUBLE PRECISION"),
)


def add_missing_columns(engine: Engine) -> list[str]:
    """Add every ADDED_COLUMNS entry the database lacks; returns the ones added as 'table.column'."""
    inspector = inspect(engine)
    added: list[str] = []
    for table, column, sql_type in ADDED_COLUMNS:
        if not inspector.has_table(table):
            continue
        if column in {c["name"] for c in inspector.get_columns(table)}:
            continue
        with engine.begin() as conn:
            conn.execute(text(f'ALTER TABLE {table} ADD COLUMN {column} {sql_type}'))
        added.append(f"{table}.{column}")
    return added
