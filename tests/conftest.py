from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scheduler.clock import FakeClock
from scheduler.jobs.service import JobService
from scheduler.jobs.validation import Limits
from store.engine import make_engine
from store.repository import JobRepository
from store.schema import ensure_schema
from tests.support.databases import fresh_postgres_database
from tests.support.fake_anthropic import FakeMessagesAPI
from tests.support.http import serve_in_thread

START = datetime(2026, 11, 24, 12, 0, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'jobs.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Every store test runs on a SQLite file and on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'jobs.db'}"
        return
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture
def repo(db_url: str) -> Iterator[JobRepository]:
    engine = make_engine(db_url)
    ensure_schema(engine)
    yield JobRepository(engine)
    engine.dispose()


@pytest.fixture
def service(repo: JobRepository, clock: FakeClock) -> JobService:
    return JobService(repo, clock, Limits())


@pytest.fixture
def fake_api() -> Iterator[FakeMessagesAPI]:
    api = FakeMessagesAPI()
    with serve_in_thread(api.app) as base:
        api.base_url = base  # type: ignore[attr-defined]
        try:
            yield api
        finally:
            api.release.set()
