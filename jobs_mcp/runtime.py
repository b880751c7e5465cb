"""Running the server process: HTTP under uvicorn, or stdio."""

from __future__ import annotations

import logging

import anyio
import uvicorn

from jobs_mcp.config import Settings
from jobs_mcp.server import build_http_app, build_server, build_state

log = logging.getLogger(__name__)


def run_server(settings: Settings, transport: str) -> None:
    state = build_state(settings)
    server = build_server(state)
    if transport == "stdio":
        anyio.run(server.run_stdio_async)
        return
    app = build_http_app(server, settings)
    log.info("jobs-mcp serving http://%s:%d/mcp (database %s)", settings.host, settings.port,
             state.engine.url.render_as_string(hide_password=True))
    config = uvicorn.Config(app, host=settings.host, port=settings.port, log_level="warning", lifespan="on")
    uvicorn.Server(config).run()
