"""/healthz and /readyz: is the process alive, and can this node do its work now?

Ready means: the database answers within 2 s and the engine finished a pass within the
last 30 s (it passes at least every 10 s; "off" on a node built without an engine).
Search is named but never makes a node unready: without its model it answers by keyword.
"""

from __future__ import annotations

from dataclasses import dataclass

import anyio
import anyio.to_thread

from jobs_mcp.app import App
from store.overview import ping
from store.unavailable import as_unavailable

ENGINE_STALE_S = 30.0
DATABASE_TIMEOUT_S = 2.0


@dataclass(frozen=True)
class Readiness:
    ready: bool
    checks: dict[str, str]  # part -> "ok", "off", or what is wrong, in words


async def readiness(app: App) -> Readiness:
    database = await _database(app)
    engine = _engine(app)
    search = _search(app)
    ready = database == "ok" and engine in ("ok", "off")
    return Readiness(ready, {"database": database, "engine": engine, "search": search})


async def _database(app: App) -> str:
    try:
        with anyio.fail_after(DATABASE_TIMEOUT_S):
            await anyio.to_thread.run_sync(ping, app.repo, abandon_on_cancel=True)
    except TimeoutError:
        return f"unreachable: no answer within {DATABASE_TIMEOUT_S:g} s"
    except Exception as exc:  # noqa: BLE001  (any failure is an unready database, said in one line)
        unavailable = as_unavailable(exc)
        cause = unavailable.cause if unavailable else (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return f"unreachable: {cause}"[:300]
    return "ok"


def _engine(app: App) -> str:
    loop = app.engine.loop if app.engine is not None else None
    if loop is None:
        return "off"
    if loop.last_tick_at is None:
        return "starting: no pass finished yet"
    age = (app.clock.now() - loop.last_tick_at).total_seconds()
    return "ok" if age <= ENGINE_STALE_S else f"stalled: last pass {age:.0f} s ago"


def _search(app: App) -> str:
    if app.search is None:
        return "off"
    model = app.search.embedder.model
    if model.ready:
        return "ready"
    if model.failed:
        return "degraded: keyword only, the model could not be loaded"
    return "degraded: keyword only while the model loads"
