"""The dashboard in a real headless Chromium (Debian's `chromium`, driven by Playwright).

No browser is downloaded: Playwright launches /usr/bin/chromium, which .ci/run installs when it
is missing; without it these tests fail (never skip). Screenshots are kept in tests/artifacts/.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import anyio
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from jobs_mcp.app import App, build_app
from jobs_mcp.config import Settings
from jobs_mcp.server import build_http_app, build_server
from scheduler.clock import FakeClock
from scheduler.engine.actions import ActionResult
from scheduler.jobs.job_input import JobInput
from tests.support.http import serve_in_thread

pytestmark = pytest.mark.slow
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if shutil.which(CHROMIUM) is None:
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run installs it)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield browser
        browser.close()


@dataclass
class Seeded:
    base: str
    app: App
    ids: dict[str, str]  # title -> job id


class PricedAction:
    """An agent action that costs something, so the cost chart has a bar."""

    async def __call__(self, context: object) -> ActionResult:
        return ActionResult(summary="checked the price", message="The kettle costs 42 EUR", cost_usd=0.0125,
                            tokens_in=1000, tokens_out=50)


def _seed(app: App, clock: FakeClock) -> dict[str, str]:
    ids: dict[str, str] = {}
    for owner, title, fields in (
        ("alice", "Water the plants", {"action": "notify", "interval_seconds": 3600}),
        ("alice", "Kettle price watch", {"interval_seconds": 7200}),
        ("alice", "Pay the invoices", {"action": "notify", "cron": "0 9 * * 1"}),
        ("bob", "Bob's standup note", {"action": "notify", "cron": "30 9 * * 1-5"}),
    ):
        job = app.service.create(owner, JobInput(title=title, instructions=f"{title}, please", **fields)).job
        ids[title] = job.id
    app.service.pause("alice", ids["Pay the invoices"], reason="on holiday")
    assert app.engine is not None
    for _ in range(2):  # two runs each for the interval jobs
        clock.advance(7200)
        # In a thread of its own: Playwright's sync API keeps an event loop running in this one.
        with ThreadPoolExecutor(1) as pool:
            pool.submit(anyio.run, _tick, app).result()
    return ids


async def _tick(app: App) -> None:
    assert app.engine is not None
    await app.engine.poller.tick()
    await app.engine.poller.drain()


@pytest.fixture
def seeded(tmp_path: Path, clock: FakeClock) -> Iterator[Seeded]:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'jobs.db'}")
    app = build_app(settings, clock, search=False, actions={"agent": PricedAction()})
    ids = _seed(app, clock)
    try:
        with serve_in_thread(build_http_app(build_server(app), settings)) as base:
            yield Seeded(base, app, ids)
    finally:
        app.close()


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")


def test_jobs_filter_and_a_job_page_with_its_runs(browser: Browser, seeded: Seeded) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(seeded.base + "/")
    rows = page.locator("#jobs tbody tr.job")
    expect(rows).to_have_count(4)  # every owner's jobs: a loopback client without a tokens file
    expect(page.locator("#jobs")).to_contain_text("Bob's standup note")
    expect(page.locator("#cost-chart rect.bar:not(.empty)")).to_have_count(1)  # the kettle's cost, one day
    _shot(page, "dashboard-jobs.png")

    page.select_option("select[name=status]", "PAUSED")
    page.click("#filters button[type=submit]")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Pay the invoices")
    assert "status=PAUSED" in page.url

    page.goto(seeded.base + "/")
    page.fill("input[name=q]", "kettle")
    page.click("#filters button[type=submit]")
    expect(rows).to_have_count(1)
    page.click("text=Kettle price watch")

    expect(page.locator("h1")).to_contain_text("Kettle price watch")
    expect(page.locator("#schedule")).to_contain_text("Every 2 hours")
    runs = page.locator("#runs tbody tr.run")
    expect(runs).to_have_count(2)
    expect(runs.first).to_contain_text("succeeded")
    expect(runs.first).to_contain_text("$0.0125")
    expect(runs.first).to_contain_text("The kettle costs 42 EUR")
    expect(page.locator(".timeline .tick")).to_have_count(2)
    expect(page.locator("h3", has_text="inbox")).to_be_visible()
    _shot(page, "dashboard-job.png")
    page.close()


def test_an_owner_token_sees_only_its_jobs_and_the_operator_every_owner(
        browser: Browser, tmp_path: Path, clock: FakeClock) -> None:
    tokens = tmp_path / "tokens"
    tokens.write_text("alice-secret alice\nops-secret @operator\n")
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'jobs.db'}", tokens_file=str(tokens))
    app = build_app(settings, clock, search=False)
    ids = _seed(app, clock)
    try:
        with serve_in_thread(build_http_app(build_server(app), settings)) as base:
            page = browser.new_page()
            page.goto(base + "/")
            expect(page.locator("form.login")).to_be_visible()  # no token yet: the login form
            page.fill("input[name=token]", "wrong")
            page.click("form.login button")
            expect(page.locator(".error")).to_contain_text("not valid")
            page.fill("input[name=token]", "alice-secret")
            page.click("form.login button")
            rows = page.locator("#jobs tbody tr.job")
            expect(rows).to_have_count(3)
            expect(page.locator("#jobs")).not_to_contain_text("Bob's standup note")
            page.goto(base + "/jobs/" + ids["Bob's standup note"])  # another owner's job: not found
            expect(page.locator("h1")).to_contain_text("No such job")

            operator = browser.new_page()
            operator.goto(base + "/?token=ops-secret&type=SCHEDULED")  # a login link
            assert "token" not in operator.url and "type=SCHEDULED" in operator.url
            expect(operator.locator("#jobs tbody tr.job")).to_have_count(2)  # alice's cron job and bob's
            expect(operator.locator("#jobs")).to_contain_text("Bob's standup note")
            operator.goto(base + "/")  # the cookie keeps the operator logged in
            expect(operator.locator("#jobs tbody tr.job")).to_have_count(4)
    finally:
        app.close()
