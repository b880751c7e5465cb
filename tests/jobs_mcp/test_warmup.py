"""The warm-ups: held back until the first tool answer (or a deadline), then started; stopped in reverse."""

from __future__ import annotations

import threading

import anyio
from mcp import Client

from jobs_mcp.app import build_app
from jobs_mcp.config import Settings
from jobs_mcp.server import build_server
from jobs_mcp.warmup import BackgroundLoad, Warmups


class Recorder:
    def __init__(self, name: str, log: list[str]) -> None:
        self.name, self.log = name, log

    async def start(self) -> None:
        self.log.append(f"start {self.name}")

    async def stop(self) -> None:
        self.log.append(f"stop {self.name}")


async def test_warmups_wait_for_the_first_answer_then_start_in_order() -> None:
    log: list[str] = []
    warmups = Warmups(after_s=60)
    warmups.add("a", Recorder("a", log))
    warmups.add("b", Recorder("b", log))
    await warmups.start()
    await anyio.sleep(0.1)
    assert log == []  # no answer yet, and the deadline is far
    warmups.answered()
    with anyio.fail_after(5):
        while len(log) < 2:
            await anyio.sleep(0.01)
    assert log == ["start a", "start b"]
    await warmups.stop()
    assert log == ["start a", "start b", "stop b", "stop a"]


async def test_warmups_start_by_the_deadline_without_an_answer() -> None:
    log: list[str] = []
    warmups = Warmups(after_s=0.05)
    warmups.add("a", Recorder("a", log))
    await warmups.start()
    with anyio.fail_after(5):
        while not log:
            await anyio.sleep(0.01)
    await warmups.stop()
    assert log == ["start a", "stop a"]


async def test_an_answer_before_start_opens_the_gate_at_once() -> None:
    log: list[str] = []
    warmups = Warmups(after_s=60)
    warmups.add("a", Recorder("a", log))
    warmups.answered()
    await warmups.start()
    with anyio.fail_after(5):
        while not log:
            await anyio.sleep(0.01)
    await warmups.stop()


async def test_stopping_before_the_gate_opens_starts_nothing() -> None:
    log: list[str] = []
    warmups = Warmups(after_s=60)
    warmups.add("a", Recorder("a", log))
    await warmups.start()
    await warmups.stop()
    warmups.answered()  # after stop: nothing happens
    await anyio.sleep(0.05)
    assert log == []


async def test_a_background_load_runs_its_function_in_a_thread() -> None:
    names: list[str] = []

    def load() -> None:
        names.append(threading.current_thread().name)

    part = BackgroundLoad("thing", load)
    await part.start()
    with anyio.fail_after(5):
        while not names:
            await anyio.sleep(0.01)
    assert names == ["jobs-mcp-thing"]


async def test_the_first_tool_call_starts_the_model_load(sqlite_url: str) -> None:
    # The server's own wiring: until a tool call is answered the search model is not being loaded (the
    # gate's deadline is pushed far out), and the answer opens the gate.
    app = build_app(Settings(database_url=sqlite_url), search=True)
    app.warmups.after_s = 600
    server = build_server(app)
    started: list[str] = []
    app.search.embedder.model.start = lambda: started.append("model")  # type: ignore[union-attr, method-assign]
    try:
        async with Client(server) as client:  # its lifespan starts the app
            await anyio.sleep(0.1)
            assert started == []
            answer = await client.call_tool("job_list", {})
            assert not answer.is_error
            with anyio.fail_after(5):
                while not started:
                    await anyio.sleep(0.01)
    finally:
        app.close()
