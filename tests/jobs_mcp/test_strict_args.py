"""Every tool refuses arguments it does not have, naming each and the field the caller likely meant."""

from __future__ import annotations

import pytest
from mcp import Client

from jobs_mcp.server import JobsServer
from jobs_mcp.strict_args import refuse_unknown
from store.errors import InvalidArgument
from tests.jobs_mcp.conftest import ClientFactory
from tests.jobs_mcp.test_tools_http import data, error

CREATE_ARGS = {"title", "instructions", "job_type", "schedule", "run_at", "cron", "interval_seconds",
               "interval_days", "timezone", "start_at", "end_at", "max_runs", "end_condition", "action",
               "depends_on", "chat_id", "webhook_url", "webhook_secret", "channels", "urgent", "idempotency_key",
               "max_attempts", "timeout_seconds", "misfire_grace_seconds", "max_cost_usd"}


async def test_the_public_argument_names_are_unchanged(server: JobsServer) -> None:
    async with Client(server) as client:
        tools = {t.name: t.input_schema for t in (await client.list_tools()).tools}
    agent = {"model", "max_turns", "system_prompt", "agent_tools"}  # agent jobs' own (docs/agent-tools.md)
    assert set(tools["job_create"]["properties"]) == CREATE_ARGS | agent | {"confirm"}
    assert set(tools["job_create"]["required"]) == {"title", "instructions"}
    assert set(tools["job_update"]["properties"]) == CREATE_ARGS - {"idempotency_key"} | agent | {"job_id", "guidance",
                                                                                        "confirm"}
    assert tools["job_update"]["required"] == ["job_id"]
    assert set(tools["schedule_preview"]["properties"]) == {
        "schedule", "job_type", "run_at", "cron", "interval_seconds", "interval_days", "timezone", "count", "now",
        "detail"}
    # The bounds are in the schema a client sees, once: on job_create, whose fields job_update shares.
    assert tools["job_create"]["properties"]["max_attempts"]["maximum"] == 20
    assert tools["job_create"]["properties"]["title"]["maxLength"] == 200
    assert tools["job_update"]["properties"]["title"] == {"type": "string"}


async def test_job_update_checks_the_bounds_it_does_not_show(as_owner: ClientFactory) -> None:
    async with as_owner() as client:
        job = data(await client.call_tool("job_create", {"title": "t", "instructions": "i", "schedule": "in 1 hour"}))
        for field, value, expected in (("title", "x" * 201, "at most 200 characters"),
                                       ("max_attempts", 21, "20"), ("job_id", "j" * 65, "64")):
            args = {"job_id": job["job"]["id"], field: value}
            text = error(await client.call_tool("job_update", args))
            assert text.startswith(f"invalid_argument: {field}: expected ") and expected in text, text
        assert data(await client.call_tool("job_retrieval_by_id", {"job_id": job["job"]["id"]}))["job"]["title"] == "t"


async def test_every_tool_refuses_an_unknown_argument(server: JobsServer) -> None:
    async with Client(server) as client:
        names = [t.name for t in (await client.list_tools()).tools]
        for name in names:
            text = error(await client.call_tool(name, {"bogus_flag": True}))
            assert text.startswith(f"invalid_argument: `bogus_flag` is not a field of {name}; "), text


async def test_a_misnamed_schedule_creates_nothing(as_owner: ClientFactory) -> None:
    async with as_owner() as client:
        text = error(await client.call_tool("job_create", {
            "title": "standup", "instructions": "post it", "trigger_config": {"cron": "0 9 * * 1"}}))
        assert text == "invalid_argument: `trigger_config` is not a field of job_create; use `schedule` or `cron`"
        assert data(await client.call_tool("job_list", {}))["jobs"] == []


async def test_a_status_sent_to_job_update_points_to_the_tool_that_sets_it(as_owner: ClientFactory) -> None:
    async with as_owner() as client:
        job = data(await client.call_tool("job_create", {"title": "t", "instructions": "i", "cron": "0 9 * * 1"}))
        job_id = job["job"]["id"]
        text = error(await client.call_tool("job_update", {"job_id": job_id, "status": "PAUSED"}))
        assert text == "invalid_argument: `status` is not a field of job_update; to set 'PAUSED' use job_pause"
        again = data(await client.call_tool("job_retrieval_by_id", {"job_id": job_id, "detail": "full"}))["job"]
        assert again["status"] == "ACTIVE" and "version" not in again  # still at its first version


def test_each_unknown_argument_is_named_with_the_nearest_field() -> None:
    fields = CREATE_ARGS
    cases = {"titel": "`title`", "tz": "`timezone`", "interval": "`interval_seconds` or `interval_days`",
             "Cron": "`cron`", "retries": "`max_attempts`", "deadline": "`end_at`"}
    for name, nearest in cases.items():
        with pytest.raises(InvalidArgument) as refusal:
            refuse_unknown("job_create", {name: 1}, fields)
        assert refusal.value.message == f"`{name}` is not a field of job_create; use {nearest}"
    with pytest.raises(InvalidArgument) as refusal:
        refuse_unknown("job_list", {"zzz": 1, "qqq": 2}, {"status", "limit"})
    assert refusal.value.message.count("is not a field") == 2
    assert "its fields are limit, status" in refusal.value.message
