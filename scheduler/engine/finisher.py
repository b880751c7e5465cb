"""Batches run finishes into few transactions.

Runs that end together (a thousand reminders at 09:00) would otherwise queue
one write transaction each behind SQLite's single writer. The first finish
starts a writer task: it flushes everything that piled up meanwhile in one
`finish_runs` call (at most MAX_BATCH), then again until the queue is empty.
Each waiting run gets its own answer, or the error of its batch's write. The
writer is a task of its own, so a run cancelled while it waits never strands
the others. Each finish carries its own instant (`run.finished_at`, read once
by its run): the finisher reads no clock.
"""

from __future__ import annotations

import asyncio

import anyio.to_thread

from store.run_types import Finish, FinishResult
from store.runs import RunStore

MAX_BATCH = 500


class Finisher:
    def __init__(self, runs: RunStore) -> None:
        self.runs = runs
        self._pending: list[tuple[Finish, asyncio.Future[FinishResult]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def submit(self, finish: Finish) -> FinishResult:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[FinishResult] = loop.create_future()
        self._pending.append((finish, future))
        if self._writer is None or self._writer.done():
            self._writer = loop.create_task(self._flush_all(), name="finisher")
        return await future

    async def _flush_all(self) -> None:
        while self._pending:
            batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
            try:
                results = await anyio.to_thread.run_sync(self.runs.finish_runs, [finish for finish, _ in batch])
            except Exception as exc:  # noqa: BLE001  (each waiting run gets the error)
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)
