"""Pushes to connected chats: `jobs://jobs/{job_id}` subscribers hear of each change of the job (a tool's
write, a run's start and end); and on PostgreSQL a session on node B hears of what node A ran or changed, for both
`jobs://inbox` and `jobs://jobs/{job_id}`, while another owner's session on B hears nothing."""

from __future__ import annotations

import asyncio
from typing import Any

import anyio
import pytest
from mcp import Client

from jobs_mcp.app import App, build_app
from jobs_mcp.config import Settings
from jobs_mcp.server import JobsServer, build_server
from scheduler.clock import FakeClock
from scheduler.jobs.job_input import JobInput
from tests.jobs_mcp.conftest import http_client
from tests.jobs_mcp.test_inbox_tools import tick
from tests.jobs_mcp.test_tools_http import data
from tests.scheduler.engine.conftest import ScriptedAction
from tests.support.databases import fresh_postgres_database
from tests.support.http import serve_in_thread
from tests.support.subscriptions import next_event, quiet


async def next_uri(subscription: Any) -> str:
    return str((await next_event(subscription)).uri)


async def test_job_resource_subscribers_hear_of_each_change(server: JobsServer, state: App) -> None:
    async with Client(server) as client:
        job_id = data(await client.call_tool("job_create", {"title": "Stretch", "instructions": "Stand up",
                                                            "action": "notify", "cron": "0 9 * * *"}))["job"]["id"]
        uri = f"jobs://jobs/{job_id}"
        async with client.listen(resource_subscriptions=[uri]) as subscription:
            await client.call_tool("job_pause", {"job_id": job_id})
            assert await next_uri(subscription) == uri
            await client.call_tool("job_resume", {"job_id": job_id})
            assert await next_uri(subscription) == uri
            await client.call_tool("job_run_now", {"job_id": job_id})
            assert await next_uri(subscription) == uri
            await tick(state)  # the run's end
            assert await next_uri(subscription) == uri
        read = await client.read_resource(uri)
    text = read.contents[0].text  # type: ignore[union-attr]
    assert '"title":"Stretch"' in text and '"runs":[{' in text and '"outcome":"succeeded"' in text


async def test_job_resource_subscribers_hear_a_run_start_and_read_it_in_progress(
        settings: Settings, clock: FakeClock) -> None:
    agent, release = ScriptedAction(), asyncio.Event()  # the run waits for it
    app = build_app(settings, clock, actions={"agent": agent})
    try:
        async with Client(build_server(app)) as client:
            job_id = data(await client.call_tool("job_create", {
                "title": "Summarise the issues", "instructions": "Summarise my open issues",
                "cron": "0 9 * * *"}))["job"]["id"]
            uri = f"jobs://jobs/{job_id}"
            async with client.listen(resource_subscriptions=[uri]) as subscription:
                await client.call_tool("job_run_now", {"job_id": job_id})
                assert await next_uri(subscription) == uri
                agent.script.append(release)
                async with anyio.create_task_group() as runs:
                    runs.start_soon(tick, app)
                    assert await next_uri(subscription) == uri  # the run started: nothing else changed it
                    read = await client.read_resource(uri)
                    assert '"status":"IN_PROGRESS"' in read.contents[0].text  # type: ignore[union-attr]
                    with anyio.fail_after(10):
                        await agent.started.wait()
                    release.set()
                assert await next_uri(subscription) == uri  # and ended
                assert await quiet(subscription)
    finally:
        app.close()


@pytest.mark.postgres
async def test_a_session_on_another_node_hears_of_what_this_node_ran(clock: FakeClock) -> None:
    with fresh_postgres_database() as url:
        node_a = build_app(Settings(database_url=url), clock, search=False)
        node_b = build_app(Settings(database_url=url), clock, search=False)
        server_b = build_server(node_b)
        try:
            with serve_in_thread(_http(server_b, url)) as base:
                async with node_a.running(), http_client(base + "/mcp", {"X-Jobs-Owner": "alice"}) as alice, \
                        http_client(base + "/mcp", {"X-Jobs-Owner": "bob"}) as bob:
                    job = await anyio.to_thread.run_sync(lambda: node_a.service.create("alice", JobInput(
                        title="Stretch", instructions="Stand up", action="notify", cron="0 9 * * *")).job)
                    uri = f"jobs://jobs/{job.id}"
                    async with alice.listen(resource_subscriptions=["jobs://inbox", uri]) as heard, \
                            bob.listen(resource_subscriptions=["jobs://inbox", uri]) as bob_heard:
                        await anyio.to_thread.run_sync(lambda: node_a.service.run_now("alice", job.id))
                        assert await next_uri(heard) == uri  # the tool's change on node A
                        await tick(node_a)  # node A runs it: a message and the run's end
                        got = {await next_uri(heard), await next_uri(heard)}
                        assert got == {"jobs://inbox", uri}
                        assert await quiet(bob_heard)
                    inbox = data(await alice.call_tool("job_inbox", {}))
        finally:
            node_a.close()
            node_b.close()
    assert [m["message"] for m in inbox["messages"]] == ["Stand up"]


def _http(server: JobsServer, url: str) -> Any:
    from jobs_mcp.server import build_http_app

    return build_http_app(server, Settings(database_url=url))

