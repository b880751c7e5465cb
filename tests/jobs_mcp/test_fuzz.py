"""Property-based fuzz of every tool over the real MCP client and real HTTP, on SQLite and PostgreSQL.

Hostile values (huge and negative numbers, floats, NUL, very long and odd unicode text, dates at
the ends of the calendar, wrong types, unknown keys, empty strings) go into every argument of
every tool, next to plausible ones so that calls also get past validation. For each call:
no `internal_error`, every error starts with a documented code, and a refused call leaves the
job, run, event and delivery counts as they were.

JOBS_MCP_FUZZ_EXAMPLES sets the number of calls per database (default 150, to keep the suite
fast); the figures of a large run are in docs/limits.md.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import HealthCheck, given
from hypothesis import settings as fuzz_settings
from hypothesis import strategies as st
from mcp import Client
from sqlalchemy import text

from jobs_mcp.app import App
from jobs_mcp.config import Settings
from tests.jobs_mcp.conftest import ClientFactory

EXAMPLES = int(os.environ.get("JOBS_MCP_FUZZ_EXAMPLES", "150"))
CODES = ("invalid_argument:", "not_found:", "conflict:", "limit_exceeded:", "unauthorized:", "unavailable:")
CALENDAR_ENDS = ["0001-01-01", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59", "9999-12-31T23:59:59-14:00",
                 "1969-12-31T23:59:59Z", "2200-01-01T00:00:01Z", "2026-02-30T10:00:00", "24:00"]
HUGE = [2**31, 2**31 - 1, 2**63, 2**64, 10**30, -(10**30), -1, 0, 10**12]
# Values that pass validation, so fuzzed calls also reach the service and the store.
PLAUSIBLE: dict[str, list[Any]] = {
    "title": ["Invoices", "Tee ☕ – Erinnerung"], "instructions": ["Remind me", "Check the page"],
    "schedule": ["every Monday at 9am", "in 90 minutes", "tomorrow at 17:00", "every 15 minutes"],
    "cron": ["0 9 * * 1", "*/15 * * * *", "0 0 29 2 *"], "run_at": ["2026-12-24T18:00:00", "2027-01-01T00:00:00Z"],
    "start_at": ["2026-12-01T00:00:00Z"], "end_at": ["2027-06-01T00:00:00Z"],
    "interval_seconds": [60, 3600], "interval_days": [1, 7], "timezone": ["Europe/Berlin", "UTC", "EST"],
    "job_type": ["ONE_OFF", "SCHEDULED", "RECURRING", "ONGOING"], "action": ["notify", "agent"],
    "end_condition": ["the price drops"], "max_runs": [1, 5], "max_attempts": [1, 3], "timeout_seconds": [30],
    "misfire_grace_seconds": [0, 3600], "max_cost_usd": [0.5], "chat_id": ["chat-1"],
    "webhook_url": ["http://127.0.0.1:9/hook"], "webhook_secret": ["s" * 20], "idempotency_key": ["k1", "k2", ""],
    "guidance": ["keep it short"], "reason": ["holiday"], "status": ["ACTIVE", ["PAUSED", "FAILED"]],
    "limit": [1, 10], "runs": [0, 3], "count": [1, 5], "now": ["2026-11-24T12:00:00Z"], "ack": [True, False],
    "keywords": ["invoice", ["INV-2093", "tea"]], "query": ["money clients owe me"], "message": ["I booked it"],
    "cursor": ["WyIyMDI2LTExLTI0VDEyOjAwOjAwKzAwOjAwIiwgImpvYl94Il0"],
}
TEXT = st.text(max_size=40) | st.text(alphabet=st.characters(codec="utf-8"), max_size=12)
HOSTILE = st.one_of(
    st.sampled_from(HUGE), st.integers(), st.floats(), st.booleans(), st.none(),
    TEXT, TEXT.map(lambda t: t + "\x00" + t), st.sampled_from(["", " ", "\t\n", "x" * 100_000, "NaN", "1e400"]),
    st.sampled_from(CALENDAR_ENDS), st.lists(TEXT, max_size=3), st.just(["j"] * 60),
    st.dictionaries(TEXT, st.integers(), max_size=2),
)


@pytest.fixture
def settings(db_url: str) -> Settings:  # the HTTP fixtures of conftest.py, on both databases
    # The clock is frozen, so the per-owner creation quota would refuse all but the first 60 creates and
    # keep the fuzz from reaching the store; tests/scheduler/jobs/test_quotas.py covers the quotas.
    return Settings(database_url=db_url, max_active_jobs=0, max_creates_per_minute=0)


@pytest.fixture
def portal() -> Iterator[BlockingPortal]:
    with start_blocking_portal() as running:
        yield running


def row_counts(state: App) -> tuple[int, ...]:
    with state.db.connect() as conn:
        return tuple(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
                     for table in ("jobs", "job_runs", "job_events", "deliveries"))


def _arguments(draw: st.DrawFn, schema: dict[str, Any], job_ids: list[str]) -> dict[str, Any]:
    """A mostly plausible call with a few hostile values: hostility deep in calls that pass the first checks."""
    names = list(schema.get("properties", {}))
    required = set(schema.get("required", []))
    arguments: dict[str, Any] = {}
    for name in names:
        if name in required or draw(st.integers(0, 3)) == 0:
            arguments[name] = _plausible(draw, name, job_ids)
    for name in draw(st.lists(st.sampled_from(names), max_size=3, unique=True)) if names else []:
        arguments[name] = draw(HOSTILE)
    if draw(st.integers(0, 9)) == 0:
        arguments[draw(st.sampled_from(["trigger_config", "status_", "owner", "ctx", "x" * 300]))] = draw(HOSTILE)
    return arguments


def _plausible(draw: st.DrawFn, name: str, job_ids: list[str]) -> Any:
    if name in ("job_id", "depends_on"):
        picked = job_ids[draw(st.integers(0, 15)) % len(job_ids)]  # a fixed draw: the list grows as jobs appear
        return picked if name == "job_id" else [picked]
    return draw(st.sampled_from(PLAUSIBLE[name])) if name in PLAUSIBLE else draw(HOSTILE)


def test_every_tool_survives_hostile_arguments(
    as_owner: ClientFactory, state: App, portal: BlockingPortal, request: pytest.FixtureRequest
) -> None:
    with portal.wrap_async_context_manager(as_owner()) as client:
        _fuzz(client, state, portal, request.node.callspec.id)


def _fuzz(client: Client, state: App, portal: BlockingPortal, name: str) -> None:
    schemas = {t.name: t.input_schema for t in portal.call(client.list_tools).tools}
    seed = portal.call(client.call_tool, "job_create", {"title": "seed", "instructions": "i", "cron": "0 9 * * 1"})
    job_ids = [seed.structured_content["job"]["id"], "job_ffffffffffff"]  # type: ignore[index]
    tally: Counter[str] = Counter()

    @st.composite
    def calls(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
        tool = draw(st.sampled_from(sorted(schemas)))
        return tool, _arguments(draw, schemas[tool], job_ids)

    @fuzz_settings(max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES <= 500, database=None,
              suppress_health_check=list(HealthCheck))
    @given(calls())
    def one_call(call: tuple[str, dict[str, Any]]) -> None:
        tool, arguments = call
        before = row_counts(state)
        result = portal.call(client.call_tool, tool, arguments)
        tally["calls"] += 1
        if not result.is_error:
            tally["succeeded"] += 1
            if tool == "job_create":
                job_ids.append(result.structured_content["job"]["id"])  # type: ignore[index]
            return
        message = result.content[0].text  # type: ignore[union-attr]
        tally[message.split(":", 1)[0]] += 1
        assert not message.startswith("internal_error"), (tool, arguments, message)
        assert message.startswith(CODES), (tool, arguments, message)
        after = row_counts(state)
        if after != before:
            tally["partial_writes"] += 1
        assert after == before, (tool, arguments, message, before, after)

    one_call()
    print(f"\nfuzz {name}: {dict(tally)}")  # noqa: T201  (the figures of a run)
    assert tally["calls"] == EXAMPLES and tally["succeeded"] > 0
