"""Keeps job vectors in step with job writes: queued, batched, off the event loop.

`notify(job)` is a JobService listener: it only records the id, so a write never
waits for (or fails because of) encoding. A worker thread encodes queued jobs in
batches; a search drains the queue first, so it sees the caller's own latest writes.
The repair pass encodes every job that has no vector or another model's vector: at
start, every `repair_interval_s`, and whenever encoding failed before.

One damaged row never stops the index: a stored vector that cannot be used (wrong
size, not bytes) counts as missing and is encoded again; a job whose text cannot be
encoded is left out (logged) while the rest of its batch is indexed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from scheduler.search.encoder import Encoder
from scheduler.search.model import ModelHandle
from scheduler.search.vectors import VectorIndex, from_bytes, to_bytes
from store.embeddings import EmbeddingRow, EmbeddingStore, NewEmbedding
from store.models import Job
from store.row_faults import fault_text, is_row_fault

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)
BATCH = 64
SEARCH_DRAIN_MAX = 256
SYNC_INTERVAL_S = 2.0
# After a write wakes the worker, it waits this long for more before encoding. A stream of job_create
# calls then makes one batch instead of one ONNX call, one row read and one vector write per job: on 2
# cores that per-job work took half of the server's CPU during sequential creates and slowed the calls
# it ran beside. A search never waits for it (it drains the queue itself); nothing is lost meanwhile
# (the vector is derived from the committed row, and the repair pass at start encodes any job without one).
SETTLE_S = 0.25
# Commits land slightly out of updated_at order (and node clocks differ a little):
# re-read a short window behind the newest change already seen. Relabelling is idempotent.
SYNC_OVERLAP = timedelta(seconds=5)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Embedder:
    def __init__(self, store: EmbeddingStore, model: ModelHandle, index: VectorIndex,
                 repair_interval_s: float = 300.0, settle_s: float = SETTLE_S) -> None:
        self.settle_s = settle_s
        self.store = store
        self.model = model
        self.index = index
        self.repair_interval_s = repair_interval_s
        self._pending: set[str] = set()
        self._pending_lock = threading.Lock()
        # One batch at a time: an owner load and a vector write never interleave.
        self._work_lock = threading.RLock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._watermark: datetime | None = None
        self._watermark_set = False

    # -- producer side -------------------------------------------------------------

    def notify(self, job: Job) -> None:
        """JobService listener: queue the job; never blocks, never raises."""
        with self._pending_lock:
            self._pending.add(job.id)
        self._wake.set()

    # -- worker ---------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is None:
            self._stopping.clear()
            self._thread = threading.Thread(target=self._loop, name="jobs-mcp-embedder", daemon=True)
            self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def _loop(self) -> None:
        # Short waits, so stop() is prompt even while the model is still loading.
        while not self.model.wait(0.2):
            if self._stopping.is_set():
                return
        if not self.model.ready:
            return  # the load failed (logged by the handle): nothing to encode with
        while not self._stopping.is_set():
            try:
                self.repair()
                idle_s = 0.0
                while not self._stopping.is_set() and idle_s < self.repair_interval_s:
                    woke = self._wake.wait(SYNC_INTERVAL_S)
                    if woke:
                        self._stopping.wait(self.settle_s)
                    self._wake.clear()
                    idle_s = 0.0 if woke else idle_s + SYNC_INTERVAL_S
                    with self._work_lock:
                        self.sync()
                    self.drain()
            except Exception:  # noqa: BLE001  (the worker outlives a failed batch; repair retries it)
                log.exception("embedding batch failed")
                self._stopping.wait(5)

    # -- work -----------------------------------------------------------------------

    def drain(self, max_jobs: int | None = None) -> None:
        """Encode what is queued, in the calling thread; past `max_jobs` the worker takes the rest."""
        done = 0
        while max_jobs is None or done < max_jobs:
            with self._pending_lock:
                batch = list(self._pending)[:BATCH]
                self._pending.difference_update(batch)
            if not batch:
                return
            self._process(batch)
            done += len(batch)
        self._wake.set()

    def prepare(self, owner: str) -> None:
        """Before a search: load the owner's vectors if not loaded yet, then drain the queue.

        The drain is bounded so a search never pays for encoding a whole backlog (that is
        the worker's job); the caller's own recent writes are always within the bound.
        """
        if not self.index.loaded(owner):
            with self._work_lock:
                if not self.index.loaded(owner):
                    self._load_owner(owner)
        with self._work_lock:
            self.sync(overlap=False)
        self.drain(max_jobs=SEARCH_DRAIN_MAX)

    def sync(self, *, overlap: bool = True) -> int:
        """Follow writes that did not pass through this process's JobService listener.

        The engine moves statuses itself (IN_PROGRESS, COMPLETED, FAILED...) and other
        nodes create and edit jobs: their rows' `updated_at` moves, so a short, indexed
        read keeps status/type filters true and queues jobs that have no vector here.
        A search reads only what is newer than the watermark (usually nothing); the
        worker's pass also re-reads a short window behind it, for commits that landed
        out of `updated_at` order.
        """
        if not self._watermark_set:
            newest = self.store.changed_since(None)
            self._watermark = newest[0].updated_at if newest else None
            self._watermark_set = True
            return 0
        if not self.index.any_loaded():
            # No owner's vectors are in memory: nothing to relabel, and an owner loaded later reads its
            # rows as they are then. Only the watermark moves (one indexed read) instead of re-reading
            # every row the engine wrote: in a burst of reminders that was a quarter of a node's CPU.
            newest = self.store.changed_since(None)
            if newest:
                self._watermark = max(self._watermark or newest[0].updated_at, newest[0].updated_at)
            return 0
        if self._watermark is None:
            changes = self.store.changed_since(EPOCH)
        elif overlap:
            changes = self.store.changed_since(self._watermark - SYNC_OVERLAP)
        else:
            changes = self.store.changed_since(self._watermark, strict=True)
        missing = []
        for change in changes:
            if self.index.set_labels(change.owner, change.job_id, change.status, change.job_type) is False:
                missing.append(change.job_id)
        if changes:
            self._watermark = max(self._watermark or changes[-1].updated_at, changes[-1].updated_at)
        if missing:
            with self._pending_lock:
                self._pending.update(missing)
        return len(changes)

    def repair(self) -> int:
        """Encode every job lacking a current vector; returns how many were written."""
        name = self.model.get().name
        total = 0
        seen: set[str] = set()
        while True:
            ids = [i for i in self.store.ids_needing_embedding(name, limit=BATCH) if i not in seen]
            if not ids:
                return total
            seen.update(ids)  # a job that keeps failing is tried once per pass, not forever
            total += self._process(ids)

    def _load_owner(self, owner: str) -> None:
        name = self.model.get().name
        rows = self.store.owner_rows(owner)
        vectors = {r.job_id: self._stored_vector(r, name) for r in rows}
        self.index.replace_owner(owner, [(r.job_id, vector, r.status, r.job_type) for r in rows
                                         if (vector := vectors[r.job_id]) is not None])
        missing = [job_id for job_id, vector in vectors.items() if vector is None]
        if missing:
            with self._pending_lock:
                self._pending.update(missing)

    def _stored_vector(self, row: EmbeddingRow, model_name: str) -> np.ndarray | None:
        """The row's stored vector if it is this model's and usable (the index's size), else None."""
        if row.embedding is None or row.embedding_model != model_name:
            return None
        if len(row.embedding) != self.index.dimensions * 4:  # float32
            log.warning("job %s has a damaged stored vector (%d bytes): encoding it again", row.job_id,
                        len(row.embedding))
            return None
        return from_bytes(row.embedding)

    def _process(self, job_ids: Iterable[str]) -> int:
        encoder = self.model.get()
        with self._work_lock:
            rows = self.store.rows_by_id(list(job_ids))
            vectors = {r.job_id: self._stored_vector(r, encoder.name) for r in rows}
            new = self._encode(encoder, [r for r in rows if vectors[r.job_id] is None])
            written = self.store.save(encoder.name, new) if new else set()
            vectors.update({n.job_id: from_bytes(n.embedding) for n in new if n.job_id in written})
            for row in rows:
                self._apply(row, vectors[row.job_id])
            return len(written)

    def _encode(self, encoder: Encoder, rows: Sequence[EmbeddingRow]) -> list[NewEmbedding]:
        """Vectors for `rows` in one batch; if the batch fails on one row's text, row by row without that one."""
        if not rows:
            return []
        try:
            vectors = encoder.encode([document_text(r.title, r.instructions) for r in rows])
        except Exception as exc:
            if not is_row_fault(exc) or len(rows) == 1:
                raise
            log.warning("a job's text broke its encoding batch: encoding one at a time (%s)", fault_text(exc))
            return [new for row in rows for new in self._encode_alone(encoder, row)]
        return [NewEmbedding(r.job_id, r.title, r.instructions, to_bytes(v)) for r, v in zip(rows, vectors,
                                                                                            strict=True)]

    def _encode_alone(self, encoder: Encoder, row: EmbeddingRow) -> list[NewEmbedding]:
        try:
            return self._encode(encoder, [row])
        except Exception as exc:
            if not is_row_fault(exc):
                raise
            log.warning("job %s left out of the search index: its text cannot be encoded (%s)", row.job_id,
                        fault_text(exc))
            return []

    def _apply(self, row: EmbeddingRow, vector: np.ndarray | None) -> None:
        if vector is None:
            self.index.remove(row.owner, row.job_id)
        else:
            self.index.upsert(row.owner, row.job_id, vector, row.status, row.job_type)


def document_text(title: str, instructions: str) -> str:
    """What a job's vector is computed from (title first: it is the densest summary)."""
    return f"{title}. {instructions}"
