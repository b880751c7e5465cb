"""A jobs-mcp server process for the engine's multi-process tests.

The real runtime (settings from JOBS_MCP_*, build_app, the engine loop, uvicorn
with its SIGTERM handling), with one change: `notify` runs take
JOBS_TEST_RUN_DELAY seconds, so runs are in flight when a test kills the node.
Search is left out: its model load would only compete for the CPU.

    python -m tests.support.engine_server
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys

import uvicorn

from jobs_mcp.app import build_app
from jobs_mcp.config import load_settings
from jobs_mcp.engine_wiring import EngineMode
from jobs_mcp.server import build_http_app, build_server
from scheduler.engine.actions import ActionResult, NoLLMAction, NotifyAction, RunContext


class SlowNotify:
    def __init__(self, delay_s: float) -> None:
        self.delay_s = delay_s
        self.notify = NotifyAction()

    async def __call__(self, context: RunContext) -> ActionResult:
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        return await self.notify(context)


def main() -> None:
    settings = load_settings()
    logging.basicConfig(level=settings.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(process)d %(levelname)s %(name)s %(message)s")
    delay_s = float(os.environ.get("JOBS_TEST_RUN_DELAY", "0"))
    node = build_app(settings, engine=EngineMode.LOOP, search=False,
                     actions={"notify": SlowNotify(delay_s), "agent": NoLLMAction()})
    app = build_http_app(build_server(node), settings)
    uvicorn.Server(uvicorn.Config(app, host=settings.host, port=settings.port, log_level="warning",
                                  lifespan="on")).run()


if __name__ == "__main__":
    main()
