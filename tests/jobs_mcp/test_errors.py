"""A database that stops serving while the server runs: `unavailable:` with the cause, logged once, and back
to normal once the cause is gone. Over the real MCP client and real HTTP."""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from sqlalchemy import Engine, event, func, select

from jobs_mcp.app import build_app
from jobs_mcp.config import Settings
from jobs_mcp.server import build_http_app, build_server
from scheduler.clock import FakeClock
from store.models import Job
from tests.jobs_mcp.conftest import http_client
from tests.support.databases import fresh_postgres_database
from tests.support.http import serve_in_thread
from tests.support.tmpfs import mounted_tmpfs

CREATE = {"title": "Water the plants", "instructions": "Water them", "action": "notify", "interval_seconds": 3600}


@contextmanager
def served(database_url: str, clock: FakeClock) -> Iterator[tuple[str, Engine]]:
    """The MCP app on `database_url` over real HTTP; yields (MCP URL, the app's database engine)."""
    settings = Settings(database_url=database_url)
    app = build_app(settings, clock)
    try:
        with serve_in_thread(build_http_app(build_server(app), settings)) as base:
            yield base + "/mcp", app.db
    finally:
        app.close()


async def call(client: Client, tool: str, arguments: dict[str, Any]) -> tuple[bool, str]:
    with anyio.fail_after(30):
        result = await client.call_tool(tool, arguments)
    return bool(result.is_error), result.content[0].text  # type: ignore[union-attr]


def count_jobs(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(Job)).scalar_one())


def unavailable_logs(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "store.unavailable"]


@contextmanager
def reopened(engine: Engine, hook: str, listener: Any) -> Iterator[None]:
    """Every connection from now on is opened with `listener` on `hook` (do_connect, connect); the pool is
    emptied before and after, so no connection opened the other way is reused."""
    event.listen(engine, hook, listener)
    engine.dispose()
    try:
        yield
    finally:
        event.remove(engine, hook, listener)
        engine.dispose()


async def test_a_database_made_read_only_underneath_answers_unavailable_and_logs_once(
        tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "jobs.db"

    def read_only(_dialect: Any, _record: Any, cargs: list[Any], cparams: dict[str, Any]) -> None:
        cargs[0] = f"file:{path}?mode=ro"  # SQLite itself opens the file read-only
        cparams["uri"] = True

    with served(f"sqlite:///{path}", clock) as (url, engine):
        async with http_client(url) as client:
            assert not (await call(client, "job_create", CREATE))[0]
            with reopened(engine, "do_connect", read_only), caplog.at_level(logging.ERROR):
                answers = [await call(client, "job_create", {**CREATE, "title": f"t{i}"}) for i in range(3)]
                listed = await call(client, "job_list", {})
            assert answers == [(True, "unavailable: the database is read-only; try again later")] * 3
            assert not listed[0] and "Water the plants" in listed[1]  # reads still work
            [logged] = unavailable_logs(caplog)  # once, not once per call
            assert logged.startswith("database unavailable in job_create: the database is read-only (")
            assert not (await call(client, "job_create", {**CREATE, "title": "after"}))[0]
        assert count_jobs(engine) == 2  # the refused calls wrote nothing


async def test_a_full_database_answers_unavailable_the_disk_is_full(tmp_path: Path, clock: FakeClock) -> None:
    """SQLite's page limit raises the same SQLITE_FULL as a full disk (see the tmpfs test for a real one)."""
    def cap_pages(dbapi_conn: Any, _record: Any) -> None:
        pages = dbapi_conn.execute("PRAGMA page_count").fetchone()[0]
        dbapi_conn.execute(f"PRAGMA max_page_count = {pages}")

    with served(f"sqlite:///{tmp_path / 'jobs.db'}", clock) as (url, engine):
        async with http_client(url) as client:
            with reopened(engine, "connect", cap_pages):
                error, text = await call(client, "job_create", {**CREATE, "instructions": "x" * 20_000})
            assert (error, text) == (True, "unavailable: the disk is full; try again later")
            assert not (await call(client, "job_create", CREATE))[0]
        assert count_jobs(engine) == 1


@pytest.fixture
def tiny_tmpfs(tmp_path: Path) -> Iterator[Path]:
    with mounted_tmpfs(tmp_path / "small") as mount_point:  # skipped without root: the page-limit test remains
        yield mount_point


def fill(directory: Path) -> Path:
    """Write a file until the file system has no space left."""
    filler = directory / "filler"
    with filler.open("wb", buffering=0) as file, suppress(OSError):
        while True:
            file.write(b"\0" * 4096)
    return filler


async def test_a_real_full_disk_answers_unavailable_and_recovers(tiny_tmpfs: Path, clock: FakeClock) -> None:
    with served(f"sqlite:///{tiny_tmpfs / 'jobs.db'}", clock) as (url, engine):
        async with http_client(url) as client:
            filler = fill(tiny_tmpfs)
            error, text = await call(client, "job_create", {**CREATE, "instructions": "x" * 20_000})
            assert (error, text) == (True, "unavailable: the disk is full; try again later")
            filler.unlink()
            assert not (await call(client, "job_create", CREATE))[0]
        assert count_jobs(engine) == 1


class TcpProxy:
    """Forwards a local port to PostgreSQL; `cut()` drops every connection and refuses new ones."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self.lock:
                self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        with suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread; close alone may not
        self.listener.close()
        with self.lock:
            for sock in self.sockets:
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()


@pytest.mark.postgres
async def test_postgres_going_away_answers_the_database_cannot_be_reached(
        clock: FakeClock, caplog: pytest.LogCaptureFixture) -> None:
    with fresh_postgres_database() as db_url:
        from sqlalchemy.engine import make_url

        parsed = make_url(db_url)
        proxy = TcpProxy((parsed.host or "127.0.0.1", parsed.port or 5432))
        via_proxy = parsed.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        with served(via_proxy, clock) as (url, engine):
            async with http_client(url) as client:
                assert not (await call(client, "job_create", CREATE))[0]
                proxy.cut()
                with caplog.at_level(logging.ERROR):
                    answers = [await call(client, tool, args) for tool, args in
                               (("job_create", CREATE), ("job_list", {}), ("job_create", CREATE))]
            assert answers == [(True, "unavailable: the database cannot be reached; try again later")] * 3
            assert len(unavailable_logs(caplog)) == 1
            engine.dispose()


async def test_quotas_from_the_settings_answer_limit_exceeded_naming_the_limit(tmp_path: Path,
                                                                               clock: FakeClock) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'jobs.db'}", max_active_jobs=2,
                        max_creates_per_minute=3, anthropic_api_key="k", max_daily_spend_usd=2.5)
    state = build_app(settings, clock)
    try:
        assert state.agent_action.quotas is state.service.quotas  # type: ignore[attr-defined]  # agent runs check the daily spend
        assert state.service.quotas.quotas.max_daily_spend_usd == 2.5
        with serve_in_thread(build_http_app(build_server(state), settings)) as base:
            async with http_client(base + "/mcp") as client:
                answers = [await call(client, "job_create", {**CREATE, "title": f"j{i}"}) for i in range(3)]
                assert [error for error, _ in answers] == [False, False, True]
                assert answers[2][1] == ("limit_exceeded: 2 active jobs per owner (JOBS_MCP_MAX_ACTIVE_JOBS); "
                                         "cancel or finish some first")
                for _, created in answers[:2]:
                    assert not (await call(client, "job_cancel", {"job_id": json.loads(created)["job"]["id"]}))[0]
                assert not (await call(client, "job_create", CREATE))[0]  # the third creation this minute
                error, text = await call(client, "job_create", CREATE)  # 1 active, but the 4th this minute
                assert (error, text) == (True, "limit_exceeded: 3 job creations per minute per owner "
                                               "(JOBS_MCP_MAX_CREATES_PER_MINUTE); try again in 60 s")
    finally:
        state.close()
