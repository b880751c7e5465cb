"""Start-up loads the first tool answer does not need, held back until it has been given.

The search model (ONNX Runtime and the tokenizer), Apprise's ~250 plugins and the anthropic SDK
each cost from a fraction of a second to seconds of CPU, most of it holding the GIL. Started with
the server they would share its cores and its GIL with the first tool call (docs/performance.md,
start-up); so they start once the first tool call has been answered, or `after_s` after the server
started when no call comes. Whatever needs one of them sooner loads it itself: a semantic search
starts the model load and waits for it, a channel URL check loads Apprise's plugins, an agent run
imports the SDK.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from typing import Protocol

log = logging.getLogger(__name__)
WARMUP_AFTER_S = 2.0  # the latest start of the warm-ups when no tool call comes


class Part(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class Warmups:
    """A component holding other components back until the first tool answer (or `after_s`).

    Stopping before they started cancels the wait; parts that did start are stopped in reverse.
    """

    def __init__(self, after_s: float = WARMUP_AFTER_S) -> None:
        self.after_s = after_s
        self.parts: list[tuple[str, Part]] = []
        self._started: list[Part] = []
        self._answered = False
        self._event: asyncio.Event | None = None  # made in start(), on the loop that waits on it
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None

    def add(self, name: str, part: Part) -> None:
        self.parts.append((name, part))

    def answered(self) -> None:
        """A tool call has been answered: the warm-ups may begin. Cheap; called (from any thread) after every call."""
        if self._answered:
            return
        self._answered = True
        loop, event = self._loop, self._event
        if loop is not None and event is not None and not loop.is_closed():
            loop.call_soon_threadsafe(event.set)

    async def start(self) -> None:
        if not self.parts:
            return
        self._loop, self._event = asyncio.get_running_loop(), asyncio.Event()
        if self._answered:  # answered before start (set before reading, as answered() does the reverse)
            self._event.set()
        self._task = asyncio.create_task(self._run(self._event), name="jobs-mcp-warmups")

    async def _run(self, answered: asyncio.Event) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(answered.wait(), self.after_s)
        for name, part in self.parts:
            try:
                await part.start()
            except Exception:  # noqa: BLE001  (a failed warm-up leaves its part to load on first use)
                log.exception("warm-up %s failed to start", name)
                continue
            self._started.append(part)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        while self._started:
            await self._started.pop().stop()


class BackgroundLoad:
    """A part that runs one loading function in a daemon thread (a slow load never holds up shutdown)."""

    def __init__(self, name: str, load: Callable[[], object]) -> None:
        self.name = name
        self.load = load

    async def start(self) -> None:
        threading.Thread(target=self._run, name=f"jobs-mcp-{self.name}", daemon=True).start()

    def _run(self) -> None:
        try:
            self.load()
        except Exception:  # noqa: BLE001  (the first real use loads again and reports the error itself)
            log.exception("loading %s in the background failed", self.name)

    async def stop(self) -> None:
        return None
