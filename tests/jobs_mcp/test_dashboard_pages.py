"""The dashboard's job list in pages: newest first, a page that stays put while jobs arrive, counts.

Real SQLite file, real HTTP (uvicorn in a thread); the browser test covers the rendering in Chromium.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import anyio
import httpx
import pytest

from jobs_mcp.app import App, build_app
from jobs_mcp.config import Settings
from jobs_mcp.dashboard import views
from jobs_mcp.dashboard.views import PAGE, Filters, job_list
from jobs_mcp.server import build_http_app, build_server
from scheduler.clock import FakeClock
from scheduler.jobs.job_input import JobInput
from tests.support.http import serve_in_thread

ALICE_JOBS = 2 * PAGE + 30


@dataclass
class Listed:
    app: App
    clock: FakeClock
    alice: list[str]  # alice's job ids, newest first


def _create(app: App, owner: str, title: str) -> str:
    return app.service.create(owner, JobInput(title=title, instructions="say hi", action="notify",
                                              interval_seconds=3600)).job.id


@pytest.fixture
def listed(tmp_path: Path, clock: FakeClock) -> Iterator[Listed]:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'jobs.db'}", max_creates_per_minute=10_000)
    app = build_app(settings, clock, search=False)
    alice: list[str] = []
    for i in range(ALICE_JOBS):
        if i % 3 == 0:  # runs of jobs made in the same instant: the id breaks the tie
            clock.advance(1)
        alice.append(_create(app, "alice", f"alice job {i}"))
        if i % 50 == 0:
            _create(app, "bob", f"bob job {i}")
    try:
        yield Listed(app, clock, _newest_first(app, alice))
    finally:
        app.close()


def _newest_first(app: App, ids: list[str]) -> list[str]:
    jobs = [app.repo.get_job("alice", job_id) for job_id in ids]
    return [j.id for j in sorted(jobs, key=lambda j: (j.created_at, j.id), reverse=True) if j is not None]


def test_pages_cover_every_job_once_newest_first_and_count_all(listed: Listed) -> None:
    seen: list[str] = []
    before = ""
    for expected_size in (PAGE, PAGE, 30):
        page = job_list(listed.app.repo, "alice", Filters(before=before))
        assert page.total == ALICE_JOBS
        assert len(page.rows) == expected_size
        seen += [row.job.id for row in page.rows]
        before = page.older or ""
    assert page.older is None  # the last page offers no older one
    assert seen == listed.alice  # every job once, in order, bob's none


def test_a_page_stays_put_while_new_jobs_arrive(listed: Listed) -> None:
    first = job_list(listed.app.repo, "alice", Filters())
    assert first.older is not None
    listed.clock.advance(5)
    for i in range(7):
        _create(listed.app, "alice", f"late job {i}")
    second = job_list(listed.app.repo, "alice", Filters(before=first.older))
    assert [row.job.id for row in second.rows] == listed.alice[PAGE:2 * PAGE]
    assert second.total == ALICE_JOBS + 7


def test_filters_hold_across_pages_and_another_owners_id_is_no_cursor(listed: Listed) -> None:
    narrowed = job_list(listed.app.repo, "alice", Filters(q="alice job 1"))  # 1, 10-19, 100-199
    assert narrowed.total == 111
    rest = job_list(listed.app.repo, "alice", Filters(q="alice job 1", before=narrowed.older or ""))
    assert len(narrowed.rows) + len(rest.rows) == 111 and rest.older is None
    bobs = job_list(listed.app.repo, "bob", Filters()).rows[0].job.id
    assert job_list(listed.app.repo, "alice", Filters(before=bobs)).rows == []


def test_the_page_links_over_http(listed: Listed) -> None:
    with serve_in_thread(build_http_app(build_server(listed.app), listed.app.settings)) as base:
        first = httpx.get(base + "/?owner=alice&status=ACTIVE")
        assert first.status_code == 200
        assert f"{ALICE_JOBS} jobs, {PAGE} shown (the newest)" in first.text
        older = re.search(r'href="/\?([^"]+)" rel="next"', first.text)
        assert older is not None and "owner=alice" in older[1] and "status=ACTIVE" in older[1]
        second = httpx.get(base + "/?" + older[1].replace("&amp;", "&"))
        ids = re.findall(r'<div class="id">([^<]+)</div>', second.text)
        assert ids == listed.alice[PAGE:2 * PAGE]
        assert 'rel="first"' in second.text


async def _fire(app: App) -> None:
    assert app.engine is not None
    await app.engine.poller.tick()
    await app.engine.poller.drain()


def test_a_job_page_says_when_older_runs_are_not_shown(listed: Listed, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(views, "RUNS_SHOWN", 2)
    job_id = listed.alice[0]
    for runs in (1, 2, 3):
        listed.clock.advance(3600)
        anyio.run(_fire, listed.app)
        page = views.job_page(listed.app.repo, "alice", job_id, listed.clock.now())
        assert page is not None
        assert (len(page.runs), page.more_runs) == (min(runs, 2), runs > 2)
    with serve_in_thread(build_http_app(build_server(listed.app), listed.app.settings)) as base:
        assert f"jobs-mcp jobs runs {job_id} --limit 1000" in httpx.get(f"{base}/jobs/{job_id}").text
