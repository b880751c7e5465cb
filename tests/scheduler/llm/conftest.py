"""The LLM pipeline against a fake Messages API server on loopback (the real anthropic client)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest

from jobs_mcp.app import App, build_app
from jobs_mcp.config import Settings
from jobs_mcp.server import JobsServer, build_server
from scheduler.clock import FakeClock
from scheduler.engine.actions import RunContext
from scheduler.llm.client import LLM, LLMConfig
from scheduler.net_guard import AllowList
from store.models import Job
from tests.support.fake_anthropic import FakeMessagesAPI


@pytest.fixture
def llm(fake_api: FakeMessagesAPI) -> LLM:
    # The page server is on 127.0.0.1: the test's configuration allows it, like JOBS_MCP_FETCH_ALLOW would.
    config = LLMConfig(api_key="test-key", base_url=fake_api.base_url,  # type: ignore[attr-defined]
                       model="claude-sonnet-4-6", judge_model="claude-haiku-4-5",
                       fetch_allow=AllowList.parse(["127.0.0.1"]), request_timeout_s=20)
    return LLM(config)


def context_for(job: Job, now: datetime, *, run_number: int = 1, **extra: object) -> RunContext:
    return RunContext(job=job, run_id=f"run_test_{run_number}", run_number=run_number, attempt=1,
                      scheduled_for=job.next_run_at or now, now=now, **extra)  # type: ignore[arg-type]


def llm_app(sqlite_url: str, clock: FakeClock, fake_api: FakeMessagesAPI, **settings: object) -> App:
    return build_app(Settings(database_url=sqlite_url, anthropic_api_key="test-key",
                              anthropic_base_url=fake_api.base_url,  # type: ignore[attr-defined]
                              model="claude-sonnet-4-6", judge_model="claude-haiku-4-5",
                              **settings), clock)  # type: ignore[arg-type]


@pytest.fixture
def llm_state(sqlite_url: str, clock: FakeClock, fake_api: FakeMessagesAPI) -> Iterator[App]:
    state = llm_app(sqlite_url, clock, fake_api)
    yield state
    state.close()


@pytest.fixture
def tight_spend_state(sqlite_url: str, clock: FakeClock, fake_api: FakeMessagesAPI) -> Iterator[App]:
    """An LLM app whose owners may spend $0.0001 a day: one judge call (100 tokens in, 20 out) uses it up."""
    state = llm_app(sqlite_url, clock, fake_api, max_daily_spend_usd=0.0001)
    yield state
    state.close()


@pytest.fixture
def llm_server(llm_state: App) -> JobsServer:
    return build_server(llm_state)
