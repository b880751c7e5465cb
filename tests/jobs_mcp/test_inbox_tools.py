"""job_inbox and the jobs://inbox resource over the MCP client, fed by the engine."""

from __future__ import annotations

from typing import Any

import anyio
from mcp import Client

from jobs_mcp.app import App
from jobs_mcp.server import JobsServer
from tests.jobs_mcp.conftest import ClientFactory
from tests.jobs_mcp.test_tools_http import data


async def tick(app: App) -> None:
    """Run what is due now on the app's engine (MANUAL on the fake clock)."""
    assert app.engine is not None
    await app.engine.poller.tick_until_idle()


async def test_job_inbox_tool_and_subscription(server: JobsServer, state: App) -> None:
    async with Client(server) as client:
        async with client.listen(resource_subscriptions=["jobs://inbox"]) as subscription:
            created = data(await client.call_tool("job_create", {
                "title": "Stretch", "instructions": "Stand up and stretch", "action": "notify", "chat_id": "c9"}))
            await tick(state)
            with anyio.fail_after(5):
                event: Any = await subscription.__anext__()
            assert event.uri == "jobs://inbox"
        resource = await client.read_resource("jobs://inbox")
        assert "Stand up and stretch" in resource.contents[0].text  # type: ignore[union-attr]
        other_chat = data(await client.call_tool("job_inbox", {"chat_id": "c1", "ack": True}))
        assert other_chat["messages"] == []
        peek = data(await client.call_tool("job_inbox", {"chat_id": "c9", "ack": False}))
        taken = data(await client.call_tool("job_inbox", {"detail": "full"}))
        again = data(await client.call_tool("job_inbox", {}))
        runs = data(await client.call_tool("job_runs", {"job_id": created["job"]["id"], "detail": "full"}))
    assert other_chat == {"messages": [], "unread_elsewhere": 1}
    assert peek["messages"] == [{"job_id": created["job"]["id"], "title": "Stretch", "event": "job.completed",
                                 "message": "Stand up and stretch\n\nJob 'Stretch' completed.",
                                 "created_at": "2026-11-24T12:00:00+00:00"}]
    assert "unread_elsewhere" not in peek and "more" not in peek
    message = taken["messages"][0]
    assert {k: message[k] for k in peek["messages"][0]} == peek["messages"][0] and again["messages"] == []
    assert message["chat_id"] == "c9" and message["status"] == "COMPLETED"
    assert message["job_id"] == created["job"]["id"] and message["run_id"] == runs["runs"][0]["id"]
    assert runs["runs"][0]["deliveries"] == [{"kind": "inbox", "status": "ready",
                                              "delivered_at": message["created_at"]}]


async def test_inbox_is_owner_isolated_over_http(as_owner: ClientFactory, state: App) -> None:
    async with as_owner("alice") as alice:
        data(await alice.call_tool("job_create", {"title": "Alice's", "instructions": "for alice",
                                                  "action": "notify"}))
    await tick(state)
    async with as_owner("bob") as bob:
        assert data(await bob.call_tool("job_inbox", {}))["messages"] == []
        resource = await bob.read_resource("jobs://inbox")
        assert "for alice" not in resource.contents[0].text  # type: ignore[union-attr]
    async with as_owner("alice") as alice:
        got = data(await alice.call_tool("job_inbox", {}))["messages"]
    assert [m["title"] for m in got] == ["Alice's"]


async def test_the_inbox_counts_what_its_filter_and_limit_left(server: JobsServer, state: App) -> None:
    async with Client(server) as client:
        for title, chat in [("one", "c1"), ("two", "c1"), ("three", "c1"), ("elsewhere", "c2"), ("no chat", None)]:
            data(await client.call_tool("job_create", {"title": title, "instructions": title, "action": "notify",
                                                       **({"chat_id": chat} if chat else {})}))
        await tick(state)
        first = data(await client.call_tool("job_inbox", {"chat_id": "c1", "limit": 2}))
        rest = data(await client.call_tool("job_inbox", {"chat_id": "c1", "limit": 2}))
        everything = data(await client.call_tool("job_inbox", {"ack": False}))
    # All fired in one pass at one instant: the order among them is the ids'.
    assert len(first["messages"]) == 2 and (first["more"], first["unread_elsewhere"]) == (1, 2)
    assert len(rest["messages"]) == 1 and "more" not in rest and rest["unread_elsewhere"] == 2
    assert {m["title"] for m in first["messages"] + rest["messages"]} == {"one", "two", "three"}
    assert {m["title"] for m in everything["messages"]} == {"elsewhere", "no chat"}
    assert "unread_elsewhere" not in everything and "more" not in everything
