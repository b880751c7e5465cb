"""The background loop shared by the dispatchers: a pass, then sleep until the next due attempt or a wake."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime

from scheduler.clock import Clock

log = logging.getLogger(__name__)
IDLE_POLL_S = 5.0


class DispatchLoop:
    """Subclasses give `dispatch_once()` (attempts made) and `next_due()` (the next pending attempt)."""

    name = "dispatcher"
    clock: Clock

    def __init__(self) -> None:
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def dispatch_once(self, now: datetime | None = None) -> int:
        raise NotImplementedError

    def next_due(self) -> datetime | None:
        raise NotImplementedError

    def wake(self) -> None:
        """Called (from any thread) when new rows may be due."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._wake.set)

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            self._wake.clear()  # before the pass: a wake during it means another pass
            try:
                while await self.dispatch_once():
                    pass
                due = await asyncio.to_thread(self.next_due)
            except Exception:  # noqa: BLE001  (a bad pass must not end delivery for good)
                log.exception("%s pass failed", self.name)
                due = None
            wait = IDLE_POLL_S
            if due is not None:
                wait = max(0.0, min(wait, (due - self.clock.now()).total_seconds()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=wait)
