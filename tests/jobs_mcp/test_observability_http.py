"""/healthz, /readyz and /metrics over real HTTP, with their access rules (docs/observability.md)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import anyio
import httpx
import psycopg
import pytest

from jobs_mcp.app import App, build_app
from jobs_mcp.config import Settings
from jobs_mcp.engine_wiring import EngineMode, EngineTuning
from jobs_mcp.metrics import Metrics
from jobs_mcp.server import build_http_app, build_server
from scheduler.clock import FakeClock
from scheduler.engine.runner import RunDone
from store.models import Job
from tests.jobs_mcp.conftest import http_client
from tests.support.databases import PG_ADMIN_DSN, fresh_postgres_database
from tests.support.fake_anthropic import FakeMessagesAPI, finish, verdict
from tests.support.http import serve_in_thread
from tests.support.nodes import insert_reminders


@contextmanager
def served(app: App, settings: Settings) -> Iterator[str]:
    try:
        with serve_in_thread(build_http_app(build_server(app), settings)) as base:
            yield base
    finally:
        app.close()


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample in Prometheus text, or None when it is absent."""
    for line in text.splitlines():
        match = re.match(r"^(\w+)(?:\{(.*)\})? (\S+)$", line)
        if not match or match[1] != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match[2] or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(match[3])
    return None


def test_healthz_answers_while_the_process_lives(sqlite_url: str, clock: FakeClock) -> None:
    settings = Settings(database_url=sqlite_url)
    with served(build_app(settings, clock, search=False), settings) as base:
        answer = httpx.get(base + "/healthz")
    assert answer.status_code == 200 and answer.text == "ok\n"


def test_readyz_names_each_part_and_is_ready_once_the_engine_has_passed(sqlite_url: str) -> None:
    settings = Settings(database_url=sqlite_url)
    with served(build_app(settings, search=False), settings) as base:  # the real clock: the engine loop runs
        for _ in range(1200):
            answer = httpx.get(base + "/readyz")
            if answer.status_code == 200:
                break
            anyio.run(anyio.sleep, 0.05)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"ready": True, "database": "ok", "engine": "ok", "search": "off"}


def test_readyz_is_503_when_the_engine_stops_passing(sqlite_url: str, clock: FakeClock) -> None:
    settings = Settings(database_url=sqlite_url)
    # The loop runs on the fake clock; no safety pass comes during the test to move its last pass.
    app = build_app(settings, clock, engine=EngineMode.LOOP, search=False,
                    tuning=EngineTuning(safety_interval_s=3600, recover_every_s=3600))
    with served(app, settings) as base:
        for _ in range(1200):
            if app.engine and app.engine.loop and app.engine.loop.last_tick_at is not None:
                break
            anyio.run(anyio.sleep, 0.05)
        assert httpx.get(base + "/readyz").status_code == 200
        clock.advance(31)  # no pass for 31 s as the engine's clock sees it
        answer = httpx.get(base + "/readyz")
    assert answer.status_code == 503
    assert answer.json()["ready"] is False and answer.json()["engine"].startswith("stalled: last pass 31 s ago")


@pytest.mark.postgres
def test_readyz_is_503_when_the_database_is_gone(clock: FakeClock) -> None:
    with fresh_postgres_database() as url:
        settings = Settings(database_url=url)
        with served(build_app(settings, clock, search=False), settings) as base:
            assert httpx.get(base + "/readyz").json()["database"] == "ok"
            name = url.rsplit("/", 1)[1]
            with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            answer = httpx.get(base + "/readyz")
    assert answer.status_code == 503
    body = answer.json()
    assert body["ready"] is False and body["database"].startswith("unreachable: "), body


async def test_metrics_count_runs_lateness_llm_tool_calls_and_deliveries(
        sqlite_url: str, clock: FakeClock, fake_api: FakeMessagesAPI) -> None:
    settings = Settings(database_url=sqlite_url, anthropic_api_key="test-key",
                        anthropic_base_url=fake_api.base_url,  # type: ignore[attr-defined]
                        model="claude-sonnet-4-6", judge_model="claude-haiku-4-5")
    app = build_app(settings, clock, search=False)
    with served(app, settings) as base:
        async with http_client(base + "/mcp") as client:
            created = await client.call_tool("job_create", {"title": "Kettle", "instructions": "Check the kettle",
                                                            "interval_seconds": 3600, "action": "agent"})
            refused = await client.call_tool("job_create", {"title": "t", "instructions": "x",
                                                            "interval_seconds": "soon"})
        assert not created.is_error and refused.is_error
        job_id = created.structured_content["job"]["id"]  # type: ignore[index]
        due = app.repo.get_job("local", job_id).next_run_at
        assert due is not None
        clock.set(due + timedelta(seconds=2))  # the fire is claimed 2 s late
        before = httpx.get(base + "/metrics").text
        fake_api.add(finish("checked", "The kettle costs 42 EUR", tokens_in=1000, tokens_out=50),
                     verdict(job_id, "continue", message="42 EUR"))
        assert app.engine is not None
        with anyio.fail_after(20):
            await app.engine.poller.tick()
            await app.engine.poller.drain()
        answer = httpx.get(base + "/metrics")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    text = answer.text
    assert "_created" not in text  # no creation-time series beside the counters (Prometheus ignores them)
    assert sample(before, "jobs_mcp_due_not_started") == 1
    assert sample(text, "jobs_mcp_due_not_started") == 0
    assert sample(text, "jobs_mcp_runs_total", outcome="succeeded", job_type="RECURRING") == 1
    assert sample(text, "jobs_mcp_fire_lateness_seconds_count") == 1
    assert sample(text, "jobs_mcp_fire_lateness_seconds_bucket", le="1.0") == 0
    assert sample(text, "jobs_mcp_fire_lateness_seconds_bucket", le="2.5") == 1
    assert sample(text, "jobs_mcp_llm_tokens_total", model="claude-sonnet-4-6", kind="input") == 1000
    assert (sample(text, "jobs_mcp_llm_cost_usd_total", model="claude-sonnet-4-6") or 0) > 0
    assert sample(text, "jobs_mcp_llm_tokens_total", model="claude-haiku-4-5", kind="input") is not None
    assert sample(text, "jobs_mcp_tool_calls_total", tool="job_create", result="ok") == 1
    assert sample(text, "jobs_mcp_tool_calls_total", tool="job_create", result="error") == 1
    assert sample(text, "jobs_mcp_tool_latency_seconds_count", tool="job_create") == 2
    assert sample(text, "jobs_mcp_deliveries", kind="inbox", status="ready") == 1
    assert sample(text, "jobs_mcp_jobs", status="ACTIVE") == 1
    assert sample(text, "jobs_mcp_search_index_jobs") == 0
    assert sample(text, "python_gc_objects_collected_total") is None  # our registry, not the global one


def _tokens(tmp_path: Path) -> str:
    path = tmp_path / "tokens"
    path.write_text("alice-secret alice\nops-secret @operator\nplatform-secret *\n")
    return str(path)


def test_metrics_need_the_operator_token_unless_bound_to_loopback(sqlite_url: str, clock: FakeClock,
                                                                   tmp_path: Path) -> None:
    exposed = Settings(database_url=sqlite_url, tokens_file=_tokens(tmp_path), host="0.0.0.0")
    with served(build_app(exposed, clock, search=False), exposed) as base:
        assert httpx.get(base + "/metrics").status_code == 401
        assert httpx.get(base + "/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert httpx.get(base + "/metrics", headers={"Authorization": "Bearer alice-secret"}).status_code == 403
        assert httpx.get(base + "/metrics", headers={"Authorization": "Bearer platform-secret"}).status_code == 403
        ok = httpx.get(base + "/metrics", headers={"Authorization": "Bearer ops-secret"})
        assert ok.status_code == 200 and "jobs_mcp_jobs" in ok.text
        assert httpx.get(base + "/healthz").status_code == 200  # probes need no token
        # The operator token calls no tools.
        tools = httpx.post(base + "/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
                           headers={"Authorization": "Bearer ops-secret", "Accept": "application/json, "
                                    "text/event-stream"})
        assert tools.status_code == 403 and "operator token" in tools.text
    local = Settings(database_url=sqlite_url, tokens_file=_tokens(tmp_path), host="127.0.0.1")
    with served(build_app(local, clock, search=False), local) as base:
        assert httpx.get(base + "/metrics").status_code == 200


def test_operator_pages_refuse_a_foreign_host(sqlite_url: str, clock: FakeClock) -> None:
    settings = Settings(database_url=sqlite_url)
    with served(build_app(settings, clock, search=False), settings) as base:
        for path in ("/metrics", "/healthz", "/"):
            assert httpx.get(base + path, headers={"Host": "evil.example"}).status_code == 403


RUN_FAMILIES = ("jobs_mcp_runs_total", "jobs_mcp_run_duration_seconds", "jobs_mcp_fire_lateness_seconds")


def run_series(metrics: Metrics) -> list[str]:
    return [line for line in metrics.exposition().decode().splitlines() if line.startswith(RUN_FAMILIES)]


async def test_the_lanes_reminders_are_counted_as_their_runs_one_by_one_would_be(
        sqlite_url: str, clock: FakeClock) -> None:
    # The lane tells the metrics once per job type and fire (RemindersDone), not once per run.
    app = build_app(Settings(database_url=sqlite_url), clock, search=False)
    late, on_time = clock.now() - timedelta(seconds=3), clock.now() - timedelta(milliseconds=20)
    insert_reminders(app.repo, [late] * 5 + [on_time] * 2, owner="alice")
    assert app.engine is not None
    with anyio.fail_after(20):
        report = await app.engine.poller.tick()
    assert report.reminders == 7
    one_by_one = Metrics()
    for fire in [late] * 5 + [on_time] * 2:
        one_by_one.run_finished(RunDone(job=Job(job_type="ONE_OFF"), run_id="run_x", outcome="succeeded",
                                        duration_s=0.0, lateness_s=(clock.now() - fire).total_seconds(),
                                        cost_usd=0.0, recorded=True))
    series = run_series(app.metrics)
    assert series == run_series(one_by_one)
    assert 'jobs_mcp_fire_lateness_seconds_bucket{le="0.05"} 2.0' in series
    assert 'jobs_mcp_fire_lateness_seconds_bucket{le="5.0"} 7.0' in series
    assert 'jobs_mcp_runs_total{job_type="ONE_OFF",outcome="succeeded"} 7.0' in series
    app.close()
