"""The composition root: which parts a node gets, and the order they start and stop in."""

from __future__ import annotations

import pytest

from jobs_mcp.app import App, build_app
from jobs_mcp.config import Settings
from jobs_mcp.engine_wiring import EngineMode
from scheduler.clock import FakeClock


class Recorder:
    def __init__(self, name: str, log: list[str], fail: bool = False) -> None:
        self.name, self.log, self.fail = name, log, fail

    async def start(self) -> None:
        if self.fail:
            raise RuntimeError(f"{self.name} cannot start")
        self.log.append(f"start {self.name}")

    async def stop(self) -> None:
        self.log.append(f"stop {self.name}")


def test_the_server_gets_every_part_and_its_loop(sqlite_url: str) -> None:
    app = build_app(Settings(database_url=sqlite_url))
    try:
        assert app.engine is not None and app.engine.loop is not None and app.dispatcher is not None
        assert app.search is not None and app.llm is None  # no ANTHROPIC_API_KEY
        assert [name for name, _ in app.components()] == ["warm-ups", "inbox-notifier", "webhook-dispatcher",
                                                        "channel-dispatcher", "engine"]
        assert [name for name, _ in app.warmups.parts] == ["search", "apprise-plugins"]
    finally:
        app.close()


def test_a_fake_clock_gets_an_engine_driven_by_hand(sqlite_url: str, clock: FakeClock) -> None:
    app = build_app(Settings(database_url=sqlite_url), clock, search=False)
    try:
        assert app.engine is not None and app.engine.loop is None and app.dispatcher is None
        assert app.engine.runner.clock is clock and app.service.clock is clock
        assert [name for name, _ in app.components()] == ["inbox-notifier"]
    finally:
        app.close()


def test_engine_off_builds_no_engine(sqlite_url: str) -> None:
    app = build_app(Settings(database_url=sqlite_url), engine=EngineMode.OFF, search=False)
    try:
        assert app.engine is None and app.dispatcher is None
    finally:
        app.close()


def _with_parts(app: App, parts: list[Recorder]) -> None:
    app.components = lambda: [(part.name, part) for part in parts]  # type: ignore[method-assign]


async def test_components_start_in_order_and_stop_in_reverse(sqlite_url: str, clock: FakeClock) -> None:
    app = build_app(Settings(database_url=sqlite_url), clock, search=False)
    log: list[str] = []
    _with_parts(app, [Recorder("store", log), Recorder("engine", log)])
    async with app.running():
        assert log == ["start store", "start engine"]
    app.close()
    assert log == ["start store", "start engine", "stop engine", "stop store"]


async def test_a_failed_start_stops_what_had_started(sqlite_url: str, clock: FakeClock) -> None:
    app = build_app(Settings(database_url=sqlite_url), clock, search=False)
    log: list[str] = []
    _with_parts(app, [Recorder("a", log), Recorder("b", log), Recorder("c", log, fail=True)])
    with pytest.raises(RuntimeError, match="c cannot start"):
        await app.start()
    app.close()
    assert log == ["start a", "start b", "stop b", "stop a"]


def test_the_server_imports_neither_the_llm_sdk_nor_torch_before_they_are_needed() -> None:
    # The first tool answer must not wait for them (bench/startup.py): the SDK is imported by the
    # warm-up after start, torch only by the model export's child process.
    import subprocess
    import sys

    code = ("import sys, jobs_mcp.cli, jobs_mcp.runtime\n"
            "loaded = sorted({m.split('.')[0] for m in sys.modules} & {'anthropic', 'bs4', 'torch', "
            "'sentence_transformers', 'transformers'})\n"
            "assert not loaded, loaded\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


def test_a_start_on_a_migrated_database_leaves_out_what_the_first_answer_does_not_need(sqlite_url: str) -> None:
    # What `jobs-mcp serve` does before it listens (jobs_mcp/cli.py, jobs_mcp/runtime.py), on a database at the
    # newest revision: none of these may be imported by then (docs/performance.md, start-up). The warm-ups
    # load the search model and Apprise after the first answer; the rest loads on first use.
    import subprocess
    import sys

    from store.schema import upgrade

    upgrade(sqlite_url)
    code = ("import sys\n"
            "from jobs_mcp.cli import main\n"
            "from jobs_mcp.config import load_settings\n"
            "from store.database_check import check_database\n"
            f"settings = load_settings({{'JOBS_MCP_DATABASE_URL': {sqlite_url!r}}})\n"
            "check_database(settings.database_url)\n"
            "from jobs_mcp.runtime import build_app, build_http_app, build_server\n"
            "node = build_app(settings)\n"
            "build_http_app(build_server(node), settings)\n"
            "late = {'anthropic', 'apprise', 'onnxruntime', 'tokenizers', 'torch', 'jinja2', 'psycopg', 'dateparser',\n"
            "        'alembic', 'bs4', 'numpy', 'threadpoolctl', 'jobs_mcp.commands.jobs',\n"
            "        'jobs_mcp.commands.common'}\n"
            "loaded = sorted(name for name in late if name in sys.modules)\n"
            "assert not loaded, loaded\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
