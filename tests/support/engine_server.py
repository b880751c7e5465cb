"""A jobs-mcp server process for the engine's multi-process tests.

The real runtime (settings from JOBS_MCP_*, build_app, the engine loop, uvicorn
with its SIGTERM handling), with one change: `notify` runs take
JOBS_TEST_RUN_DELAY seconds, so runs are in flight when a test kills the node (with 0, the plain
action: reminders go through the reminder lane, as on a real server). JOBS_TEST_HOLD_REMINDER_BATCH=N
holds the lane's N-th batch written but uncommitted (and says so in the log), for a test to kill it there.
Search is left out: its model load would only compete for the CPU.

    python -m tests.support.engine_server
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import logging
import os
import sys
import time

import uvicorn

from jobs_mcp.app import build_app
from jobs_mcp.config import load_settings
from jobs_mcp.engine_wiring import EngineMode
from jobs_mcp.server import build_http_app, build_server
from scheduler.engine.actions import ActionResult, NoLLMAction, NotifyAction, RunContext
from store.reminders import ReminderStore

HOLDING = "holding reminder batch {} uncommitted"


class SlowNotify:
    def __init__(self, delay_s: float) -> None:
        self.delay_s = delay_s
        self.notify = NotifyAction()

    async def __call__(self, context: RunContext) -> ActionResult:
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        return await self.notify(context)


def hold_batch(store: ReminderStore, number: int) -> None:
    """Stop the lane inside its `number`-th batch's transaction, after its writes, before the commit."""
    write_batch, batches = store.write_batch, itertools.count(1)

    def held(*args: object) -> None:
        write_batch(*args)  # type: ignore[arg-type]
        if next(batches) == number:
            print(HOLDING.format(number), file=sys.stderr, flush=True)
            time.sleep(3600)

    store.write_batch = held  # type: ignore[method-assign]


def main() -> None:
    settings = load_settings()
    logging.basicConfig(level=settings.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(process)d %(levelname)s %(name)s %(message)s")
    delay_s = float(os.environ.get("JOBS_TEST_RUN_DELAY", "0"))
    notify = SlowNotify(delay_s) if delay_s else NotifyAction()
    node = build_app(settings, engine=EngineMode.LOOP, search=False,
                     actions={"notify": notify, "agent": NoLLMAction()})
    hold = int(os.environ.get("JOBS_TEST_HOLD_REMINDER_BATCH", "0"))
    if hold and node.engine is not None and node.engine.poller.lane is not None:
        hold_batch(node.engine.poller.lane.store, hold)
    app = build_http_app(build_server(node), settings)
    gc.collect()  # as `jobs-mcp serve` does (jobs_mcp/runtime.py): the start-up heap out of the collector's reach
    gc.freeze()
    uvicorn.Server(uvicorn.Config(app, host=settings.host, port=settings.port, log_level="warning",
                                  lifespan="on")).run()


if __name__ == "__main__":
    main()
