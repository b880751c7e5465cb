"""Stored job vectors: read them for the in-memory index, write them back after encoding.

Contract:
- A vector is stored together with the name of the model that made it; a vector
  whose name is not the current model's counts as missing (never mixed into a search).
- A vector is written only if the job's title and instructions are still the text it
  was computed from; a concurrent edit wins and the job is encoded again.
- When title or instructions change, the database drops the stored vector itself
  (trigger in store/sql/search_*.sql), so a stale vector never survives a restart.
- Writing a vector does not bump `version` or `updated_at`: it is derived data, not
  an edit, and must not make a concurrent writer's update fail.
- A damaged row never stops the index (`store.row_faults`): a stored vector that is
  not bytes reads as missing (and is encoded again), and a change whose row cannot
  be read is left out of `changed_since`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, bindparam, or_, select, type_coerce, update
from sqlalchemy.types import NullType
from sqlmodel import col

from store.engine import statement_reads
from store.models import Job
from store.row_faults import fault_text, is_row_fault, one_at_a_time
from store.unavailable import translated
from store.write_lock import write_lock

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EmbeddingRow:
    job_id: str
    owner: str
    status: str
    job_type: str
    title: str
    instructions: str
    embedding: bytes | None
    embedding_model: str | None


@dataclass(frozen=True)
class JobChange:
    job_id: str
    owner: str
    status: str
    job_type: str
    updated_at: datetime


@dataclass(frozen=True)
class NewEmbedding:
    job_id: str
    title: str
    instructions: str
    embedding: bytes


# The vector as the driver hands it (bytes, or whatever a manual edit stored): checked per row in `_rows`.
_COLUMNS = (Job.id, Job.owner, Job.status, Job.job_type, Job.title, Job.instructions,
            type_coerce(col(Job.embedding), NullType()), Job.embedding_model)


# The change feed's reads, built once: every semantic search reads the feed first, and building the
# statement cost more than running it (0.19 ms a read at 10,000 jobs, most of it the building).
_CHANGE = select(Job.id, Job.owner, Job.status, Job.job_type, Job.updated_at)
_NEWEST_CHANGE = _CHANGE.order_by(col(Job.updated_at).desc()).limit(1)
_CHANGED_AFTER = (_CHANGE.where(col(Job.updated_at) > bindparam("since")).order_by(col(Job.updated_at))
                  .limit(bindparam("limit")))
_CHANGED_FROM = (_CHANGE.where(col(Job.updated_at) >= bindparam("since")).order_by(col(Job.updated_at))
                 .limit(bindparam("limit")))


class EmbeddingStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._read_engine = statement_reads(engine)  # each read is one statement
        self._reported: set[str] = set()

    def rows_by_id(self, job_ids: Sequence[str]) -> list[EmbeddingRow]:
        """The rows among `job_ids` that exist (any owner: the caller is the embedder, not a user)."""
        if not job_ids:
            return []
        return self._rows(select(*_COLUMNS).where(col(Job.id).in_(list(job_ids))))

    def owner_rows(self, owner: str) -> list[EmbeddingRow]:
        """Every job of `owner`, with its stored vector if any."""
        return self._rows(select(*_COLUMNS).where(Job.owner == owner))

    def ids_needing_embedding(self, model: str, limit: int = 256) -> list[str]:
        """Jobs with no vector, or with another model's vector (the repair pass works through these)."""
        stmt = (
            select(Job.id)
            .where(or_(col(Job.embedding).is_(None), col(Job.embedding_model).is_(None),
                       col(Job.embedding_model) != model))
            .order_by(col(Job.id))
            .limit(limit)
        )
        with translated(), self._read_engine.connect() as conn:
            return [str(r[0]) for r in conn.execute(stmt).all()]

    def changed_since(self, since: datetime | None, limit: int = 5000, *, strict: bool = False) -> list[JobChange]:
        """Jobs written at or after `since` (after it, if `strict`), by any writer on any node, oldest first.

        With `since` None, only the newest change (a starting watermark). A row whose columns
        cannot be read (a damaged updated_at) is left out.
        """
        stmt = _NEWEST_CHANGE if since is None else _CHANGED_AFTER if strict else _CHANGED_FROM
        params = {"since": since, "limit": limit}
        try:
            return self._changes(stmt, params)
        except Exception as exc:
            if not is_row_fault(exc):
                raise
            log.debug("a changed row cannot be read: reading them one at a time (%s)", fault_text(exc))
        with translated(), self._read_engine.connect() as conn:
            ids = [str(r[0]) for r in conn.execute(stmt.with_only_columns(col(Job.id)), params).all()]
        found = one_at_a_time(ids, lambda job_id: self._changes(stmt.where(col(Job.id) == job_id), params),
                              self._skipped)
        return [change for one in found for change in one]

    def _skipped(self, job_id: str, why: str) -> None:
        # A damaged row stays in the change window until it is fixed: say so once, not every sync.
        if job_id not in self._reported:
            self._reported.add(job_id)
            log.warning("job %s left out of the search index's change feed: %s", job_id, why)

    def _changes(self, stmt: Any, params: dict[str, Any]) -> list[JobChange]:
        with translated(), self._read_engine.connect() as conn:
            rows = conn.execute(stmt, params).all()
        return [JobChange(str(r[0]), str(r[1]), str(r[2]), str(r[3]), r[4]) for r in rows]

    def save(self, model: str, vectors: Sequence[NewEmbedding]) -> set[str]:
        """Store vectors whose source text is unchanged; returns the ids written."""
        written: set[str] = set()
        # The process's writer slot, as every other write takes it: without it a job_create (or a claim)
        # arriving during this commit waits in SQLite's busy handler, which sleeps in steps of 1-100 ms.
        with translated(), write_lock(self._engine), self._engine.begin() as conn:
            for item in vectors:
                result = conn.execute(
                    update(Job)
                    .where(col(Job.id) == item.job_id, col(Job.title) == item.title,
                           col(Job.instructions) == item.instructions)
                    .values(embedding=item.embedding, embedding_model=model)
                )
                if result.rowcount == 1:
                    written.add(item.job_id)
        return written

    def _rows(self, stmt: object) -> list[EmbeddingRow]:
        with translated(), self._read_engine.connect() as conn:
            rows = conn.execute(stmt).all()  # type: ignore[call-overload]
        return [EmbeddingRow(str(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), str(r[5]), _vector_bytes(r[6]),
                             r[7] if isinstance(r[7], str) else None) for r in rows]


def _vector_bytes(value: object) -> bytes | None:
    """Stored vector bytes; anything else (text a manual edit left) reads as no vector, to be encoded again."""
    return bytes(value) if isinstance(value, (bytes, bytearray, memoryview)) else None
