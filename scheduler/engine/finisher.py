"""Batches run finishes into few transactions.

Runs that end together (a thousand reminders at 09:00) would otherwise queue
one write transaction each behind SQLite's single writer. The first run to
finish becomes the writer: it flushes everything that piled up meanwhile in
one `finish_runs` call, then again until the queue is empty.
"""

from __future__ import annotations

import asyncio

import anyio.to_thread

from scheduler.clock import Clock
from store.run_types import Finish, FinishResult
from store.runs import RunStore

MAX_BATCH = 500


class Finisher:
    def __init__(self, runs: RunStore, clock: Clock) -> None:
        self.runs = runs
        self.clock = clock
        self._pending: list[tuple[Finish, asyncio.Future[FinishResult]]] = []
        self._flushing = False

    async def submit(self, finish: Finish) -> FinishResult:
        future: asyncio.Future[FinishResult] = asyncio.get_running_loop().create_future()
        self._pending.append((finish, future))
        if not self._flushing:
            self._flushing = True
            try:
                await self._flush_all()
            finally:
                self._flushing = False
        return await future

    async def _flush_all(self) -> None:
        while self._pending:
            batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
            try:
                # Shielded: the writer's own cancellation must not strand the other runs' futures.
                results = await asyncio.shield(anyio.to_thread.run_sync(
                    self.runs.finish_runs, [finish for finish, _ in batch], self.clock.now()))
            except Exception as exc:  # noqa: BLE001  (each waiting run gets the error)
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)
