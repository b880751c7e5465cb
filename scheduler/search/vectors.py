"""Per-owner matrices of unit vectors, searched by cosine similarity (a dot product).

At our scale (thousands of jobs per owner) one matrix product is well under a
millisecond, so no approximate index is needed. Rows carry the job's status and type
as small integer codes, so filters are a vectorised mask. The index is a cache of
the database, kept in step by the embedder; it is never the only copy of anything.

numpy (and threadpoolctl) are imported by the functions that use them, not with the module: a
server builds its index at start but fills it only after its first tool answer (bench/startup.py).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from store.enums import JobStatus, JobType

if TYPE_CHECKING:
    import numpy as np
    from threadpoolctl import ThreadpoolController

STATUS_CODE = {s.value: i for i, s in enumerate(JobStatus)}
TYPE_CODE = {t.value: i for i, t in enumerate(JobType)}
_UNKNOWN = 127
# One owner's product is at most ~10,000 x 384: a single BLAS thread does it in well under a millisecond,
# while BLAS's extra threads spin against the event loop and the encoder (p90 12 ms on a busy 2-core machine).
@cache
def _blas() -> ThreadpoolController:
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def to_bytes(vector: np.ndarray) -> bytes:
    import numpy as np

    return np.asarray(vector, dtype="<f4").tobytes()


def from_bytes(raw: bytes) -> np.ndarray:
    import numpy as np

    return np.frombuffer(raw, dtype="<f4")


@dataclass(frozen=True)
class Match:
    job_id: str
    similarity: float


class OwnerVectors:
    """One owner's rows; removal swaps the last row in, so the matrix stays dense."""

    def __init__(self, dimensions: int) -> None:
        import numpy as np

        self.ids: list[str] = []
        self.position: dict[str, int] = {}
        self.matrix = np.zeros((64, dimensions), dtype=np.float32)
        self.status = np.zeros(64, dtype=np.int8)
        self.job_type = np.zeros(64, dtype=np.int8)

    def upsert(self, job_id: str, vector: np.ndarray, status: str, job_type: str) -> None:
        row = self.position.get(job_id)
        if row is None:
            row = len(self.ids)
            if row == len(self.matrix):
                self._grow()
            self.ids.append(job_id)
            self.position[job_id] = row
        self.matrix[row] = vector
        self.status[row] = STATUS_CODE.get(status, _UNKNOWN)
        self.job_type[row] = TYPE_CODE.get(job_type, _UNKNOWN)

    def set_labels(self, job_id: str, status: str, job_type: str) -> bool:
        """Update a row's status and type in place; False if the job has no row."""
        row = self.position.get(job_id)
        if row is None:
            return False
        self.status[row] = STATUS_CODE.get(status, _UNKNOWN)
        self.job_type[row] = TYPE_CODE.get(job_type, _UNKNOWN)
        return True

    def remove(self, job_id: str) -> None:
        row = self.position.pop(job_id, None)
        if row is None:
            return
        last = len(self.ids) - 1
        if row != last:
            moved = self.ids[last]
            self.ids[row] = moved
            self.position[moved] = row
            for array in (self.matrix, self.status, self.job_type):
                array[row] = array[last]
        self.ids.pop()

    def _grow(self) -> None:
        import numpy as np

        size = len(self.matrix) * 2
        self.matrix = np.resize(self.matrix, (size, self.matrix.shape[1]))
        self.status = np.resize(self.status, size)
        self.job_type = np.resize(self.job_type, size)

    def top(self, query: np.ndarray, statuses: Sequence[str], job_types: Sequence[str], count: int) -> list[Match]:
        import numpy as np

        n = len(self.ids)
        if n == 0:
            return []
        with _blas().limit(limits=1, user_api="blas"):
            scores = self.matrix[:n] @ query
        keep = _mask(self.status[:n], statuses, STATUS_CODE, exclude=STATUS_CODE[JobStatus.ARCHIVED.value])
        keep &= _mask(self.job_type[:n], job_types, TYPE_CODE)
        candidates = np.flatnonzero(keep)
        if len(candidates) > count:
            best = np.argpartition(-scores[candidates], count - 1)[:count]
            candidates = candidates[best]
        order = candidates[np.argsort(-scores[candidates], kind="stable")]
        return [Match(self.ids[i], float(scores[i])) for i in order]


def _mask(codes: np.ndarray, wanted: Sequence[str], table: dict[str, int], exclude: int | None = None) -> np.ndarray:
    import numpy as np

    if wanted:
        return np.isin(codes, [table.get(w, _UNKNOWN) for w in wanted])
    if exclude is not None:
        return codes != exclude
    return np.ones(len(codes), dtype=bool)


class VectorIndex:
    """Owners' matrices, loaded on an owner's first search; thread-safe."""

    def __init__(self, dimensions: int) -> None:
        self.dimensions = dimensions
        self._owners: dict[str, OwnerVectors] = {}
        self._lock = threading.Lock()

    def loaded(self, owner: str) -> bool:
        return owner in self._owners

    def any_loaded(self) -> bool:
        return bool(self._owners)

    def replace_owner(self, owner: str, rows: list[tuple[str, np.ndarray, str, str]]) -> None:
        vectors = OwnerVectors(self.dimensions)
        for job_id, vector, status, job_type in rows:
            vectors.upsert(job_id, vector, status, job_type)
        with self._lock:
            self._owners[owner] = vectors

    def upsert(self, owner: str, job_id: str, vector: np.ndarray, status: str, job_type: str) -> None:
        with self._lock:
            if owner in self._owners:
                self._owners[owner].upsert(job_id, vector, status, job_type)

    def set_labels(self, owner: str, job_id: str, status: str, job_type: str) -> bool | None:
        """Relabel a job of a loaded owner; None if the owner is not loaded (nothing to keep in step)."""
        with self._lock:
            vectors = self._owners.get(owner)
            return None if vectors is None else vectors.set_labels(job_id, status, job_type)

    def remove(self, owner: str, job_id: str) -> None:
        with self._lock:
            if owner in self._owners:
                self._owners[owner].remove(job_id)

    def search(self, owner: str, query: np.ndarray, *, statuses: Sequence[str] = (),
               job_types: Sequence[str] = (), count: int = 10) -> list[Match]:
        with self._lock:
            vectors = self._owners.get(owner)
            return vectors.top(query, statuses, job_types, count) if vectors else []

    def total(self) -> int:
        """Vectors held for every loaded owner."""
        with self._lock:
            return sum(len(vectors.ids) for vectors in self._owners.values())

    def size(self, owner: str) -> int:
        with self._lock:
            vectors = self._owners.get(owner)
            return len(vectors.ids) if vectors else 0
