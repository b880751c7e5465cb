"""Each class of hostile value, in every field of every tool, on SQLite and PostgreSQL over real HTTP:
refused with `invalid_argument:` naming the field, and nothing written."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client
from sqlalchemy import text

from jobs_mcp.app import App
from jobs_mcp.config import Settings
from tests.jobs_mcp.conftest import ClientFactory
from tests.jobs_mcp.test_tools_http import data, error

# Arguments that make each tool's call valid, so the hostile one is the only fault.
VALID = {"title": "t", "instructions": "i", "keywords": "tea", "query": "tea", "message": "done",
         "chat_id": "chat-1"}


@pytest.fixture
def settings(db_url: str) -> Settings:  # the HTTP fixtures of conftest.py, on both databases
    return Settings(database_url=db_url)


def row_counts(state: App) -> tuple[int, ...]:
    with state.db.connect() as conn:
        return tuple(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
                     for table in ("jobs", "job_runs", "job_events", "deliveries"))


async def _schemas(client: Client) -> dict[str, dict[str, Any]]:
    return {t.name: t.input_schema for t in (await client.list_tools()).tools}


def _accepts(prop: dict[str, Any], kind: str) -> bool:
    options = prop.get("anyOf", [prop])
    return any(o.get("type") == kind or (kind == "string" and o.get("items", {}).get("type") == "string")
               for o in options)


def _base(schema: dict[str, Any], job_id: str) -> dict[str, Any]:
    return {name: job_id if name == "job_id" else VALID[name] for name in schema.get("required", [])}


async def _refused_everywhere(client: Client, state: App, kind: str, values: list[Any]) -> int:
    job_id = data(await client.call_tool("job_create", {"title": "t", "instructions": "i", "cron": "0 9 * * 1"}))
    job_id = job_id["job"]["id"]
    calls = 0
    for tool, schema in (await _schemas(client)).items():
        for field, prop in schema["properties"].items():
            if not _accepts(prop, kind):
                continue
            for value in values:
                sent = [value] if prop.get("anyOf", [prop])[0].get("type") == "array" else value
                before = row_counts(state)
                text_ = error(await client.call_tool(tool, {**_base(schema, job_id), field: sent}))
                assert text_.startswith(f"invalid_argument: {field}:"), (tool, field, text_)
                assert row_counts(state) == before, (tool, field)
                calls += 1
    return calls


async def test_nul_and_lone_surrogates_in_any_text_are_refused(as_owner: ClientFactory, state: App) -> None:
    async with as_owner() as client:
        calls = await _refused_everywhere(client, state, "string", ["a\x00b", "\x00"])
    assert calls > 60  # every text field of every tool was tried


async def test_numbers_beyond_any_bound_are_refused(as_owner: ClientFactory, state: App) -> None:
    async with as_owner() as client:
        calls = await _refused_everywhere(client, state, "integer", [2**31, 2**63, 10**30, -(10**30)])
    assert calls > 40


@pytest.mark.parametrize("moment", ["0001-01-01", "9999-12-31T23:59:59", "9999-12-31T23:59:59-14:00"])
async def test_times_at_the_ends_of_the_calendar_are_refused(
    as_owner: ClientFactory, state: App, moment: str
) -> None:
    base = {"title": "p", "instructions": "i", "action": "notify"}
    async with as_owner() as client:
        for tool, arguments, field in [
            ("job_create", {**base, "interval_seconds": 60, "start_at": moment}, "start_at"),
            ("job_create", {**base, "cron": "0 9 * * *", "end_at": moment}, "end_at"),
            ("job_create", {**base, "run_at": moment}, "run_at"),
            ("schedule_preview", {"cron": "0 9 * * *", "now": moment}, "now"),
        ]:
            before = row_counts(state)
            assert error(await client.call_tool(tool, arguments)).startswith(f"invalid_argument: {field}:")
            assert row_counts(state) == before


async def test_an_empty_idempotency_key_is_no_key(as_owner: ClientFactory) -> None:
    args = {"title": "t", "instructions": "i", "idempotency_key": ""}
    async with as_owner() as client:
        first = data(await client.call_tool("job_create", args))
        second = data(await client.call_tool("job_create", args))
    assert first["created"] and second["created"] and first["job"]["id"] != second["job"]["id"]
