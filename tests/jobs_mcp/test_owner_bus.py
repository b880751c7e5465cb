"""jobs://inbox notifications reach the sessions of the job's owner, and nobody else's."""

from __future__ import annotations

from mcp.server.subscriptions import ResourcesListChanged, ResourceUpdated, ServerEvent

from jobs_mcp.app import App
from jobs_mcp.owner_bus import OwnerSubscriptionBus, _request_owner
from jobs_mcp.tools_inbox import INBOX_URI
from tests.jobs_mcp.conftest import ClientFactory
from tests.jobs_mcp.test_tools_http import data
from tests.support.subscriptions import next_event, quiet


async def test_a_run_notifies_its_owner_and_never_another(as_owner: ClientFactory, state: App) -> None:
    engine = state.engine  # on the fake clock: built, run by tick
    assert engine is not None
    notify = {"instructions": "Stand up", "action": "notify"}
    async with as_owner("alice") as alice, as_owner("bob") as bob:
        async with (alice.listen(resource_subscriptions=[INBOX_URI]) as alice_events,
                    bob.listen(resource_subscriptions=[INBOX_URI]) as bob_events):
            data(await alice.call_tool("job_create", {"title": "Alice's", **notify}))
            await engine.poller.tick_until_idle()
            assert (await next_event(alice_events)).uri == INBOX_URI
            assert await quiet(bob_events), "bob heard of alice's run"

            data(await bob.call_tool("job_create", {"title": "Bob's", **notify}))
            await engine.poller.tick_until_idle()
            assert (await next_event(bob_events)).uri == INBOX_URI
            assert await quiet(alice_events), "alice heard of bob's run"
        assert [m["title"] for m in data(await bob.call_tool("job_inbox", {}))["messages"]] == ["Bob's"]


async def test_publish_to_reaches_only_listeners_of_those_owners() -> None:
    bus = OwnerSubscriptionBus()
    heard: dict[str, list[ServerEvent]] = {"alice": [], "bob": [], "nobody": []}
    for owner in ("alice", "bob"):
        token = _request_owner.set(owner)
        try:
            bus.subscribe(heard[owner].append)
        finally:
            _request_owner.reset(token)
    bus.subscribe(heard["nobody"].append)  # outside any request: no owner

    inbox = ResourceUpdated(uri=INBOX_URI)
    await bus.publish_to({"alice"}, inbox)
    await bus.publish(ResourcesListChanged())
    assert heard == {"alice": [inbox, ResourcesListChanged()], "bob": [ResourcesListChanged()],
                     "nobody": [ResourcesListChanged()]}


async def test_unsubscribed_listener_hears_nothing_and_a_raising_one_does_not_stop_the_rest() -> None:
    bus = OwnerSubscriptionBus()
    heard: list[ServerEvent] = []

    def broken(_event: ServerEvent) -> None:
        raise RuntimeError("stream gone")

    token = _request_owner.set("alice")
    try:
        bus.subscribe(broken)
        unsubscribe = bus.subscribe(heard.append)
        bus.subscribe(heard.append)
    finally:
        _request_owner.reset(token)
    unsubscribe()
    await bus.publish_to({"alice"}, ResourceUpdated(uri=INBOX_URI))
    assert heard == [ResourceUpdated(uri=INBOX_URI)]
