"""Damaged rows for the fault-isolation tests: values written with plain SQL, past every check of the
model and the API, as an older version, a manual edit or a damaged file leaves them.

PostgreSQL refuses some damage SQLite stores (its `json` type only holds valid JSON, its integer
columns only integers), so each kind of damage names the closest value each database can hold.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, text


@dataclass(frozen=True)
class Damage:
    """One kind of damage: column -> SQL literal, per database (None: that database cannot hold it), and a
    word the set-aside reason contains."""

    name: str
    sqlite: dict[str, str]
    postgres: dict[str, str] | None
    reason: str

    def values(self, engine: Engine) -> dict[str, str] | None:
        return self.sqlite if engine.dialect.name == "sqlite" else self.postgres


def same(name: str, values: dict[str, str], reason: str) -> Damage:
    return Damage(name, values, values, reason)


# Damage to a due recurring job (created with interval_seconds).
DUE_JOB_DAMAGE = [
    same("a start_at in year 1", {"start_at": "'0001-01-01 00:00:00'"}, "OverflowError"),
    same("an interval whose next fire is past year 9999",
         {"interval_seconds": "NULL", "interval_days": "3000000"}, "OverflowError"),
    same("an unknown job_type", {"job_type": "'WEEKLY'"}, "job_type"),
    same("an unknown action", {"action": "'fax'"}, "action"),
    same("no interval at all (NULL)", {"interval_seconds": "NULL"}, "interval"),
    same("an unknown time zone", {"timezone": "'Mars/Olympus'"}, "Mars/Olympus"),
    Damage("broken JSON in depends_on", {"depends_on": "'[not json'"}, {"depends_on": """'{"not": "a list"}'"""},
           "depends_on"),
    Damage("broken JSON in state", {"state": "'{oops'"}, {"state": "'[1, 2]'"}, "state"),
    Damage("broken JSON in guidance", {"guidance": "'nope'"}, {"guidance": "'\"one note\"'"}, "guidance"),
    # Beyond what a Python datetime holds: text on SQLite, 'infinity' on PostgreSQL (the driver refuses it).
    Damage("a start_at no datetime can hold", {"start_at": "'not a time'"}, {"start_at": "'infinity'"}, "read"),
    Damage("a count that is no number", {"run_count": "'many'"}, None, "run_count"),
]


def damage(engine: Engine, table: str, row_id: str, values: dict[str, str]) -> None:
    """Set columns of one row to SQL literals, bypassing the model."""
    assignments = ", ".join(f"{column} = {literal}" for column, literal in values.items())
    with engine.begin() as conn:
        conn.execute(text(f"UPDATE {table} SET {assignments} WHERE id = :id"), {"id": row_id})
