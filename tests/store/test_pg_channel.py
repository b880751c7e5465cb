"""store/pg_channel.py on the real PostgreSQL: what one node sends, the others hear, through both users
(the engine's wake-ups and the pushes to chats); a node's pushes skip itself; a payload survives as sent."""

from __future__ import annotations

import queue
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from jobs_mcp.event_relay import PgEventRelay, PushEvent
from scheduler.engine.notify_pg import PgWakeups, Wake
from store.engine import make_engine
from store.pg_channel import PgChannel
from tests.support.databases import fresh_postgres_database

pytestmark = pytest.mark.postgres


@pytest.fixture
def engine() -> Iterator[Engine]:
    with fresh_postgres_database() as url:
        engine = make_engine(url)
        yield engine
        engine.dispose()


def test_a_payload_sent_on_one_channel_is_heard_on_another(engine: Engine) -> None:
    heard: queue.SimpleQueue[str] = queue.SimpleQueue()
    listener = PgChannel(engine, "jobs_mcp_test", name="test-a", lost_means="nothing")
    sender = PgChannel(engine, "jobs_mcp_test", name="test-b", lost_means="nothing")
    listener.start(heard.put, wait_listening_s=5)
    sender.start(lambda _payload: None, wait_listening_s=5)
    try:
        sender.send('{"x": "é|1"}')
        assert heard.get(timeout=5) == '{"x": "é|1"}'
    finally:
        sender.stop(join_s=2)
        listener.stop(join_s=2)
    assert not any(t.is_alive() for t in listener._threads + sender._threads)


def test_wakeups_and_pushes_reach_the_other_node_only(engine: Engine) -> None:
    wakes: queue.SimpleQueue[Wake] = queue.SimpleQueue()
    node_a, node_b = PgWakeups(engine), PgWakeups(engine)
    relay_a, relay_b = PgEventRelay(engine), PgEventRelay(engine)
    pushes_a: queue.SimpleQueue[PushEvent] = queue.SimpleQueue()
    pushes_b: queue.SimpleQueue[PushEvent] = queue.SimpleQueue()
    node_a.start(lambda _wake: None)
    node_b.start(wakes.put)
    relay_a.start(pushes_a.put)
    relay_b.start(pushes_b.put)
    try:
        wake = Wake("job_1", "ACTIVE", datetime(2026, 12, 3, 9, tzinfo=UTC))
        for _ in range(50):  # the wake-ups do not wait for LISTEN: send until node B is listening
            node_a.send(wake)
            try:
                assert wakes.get(timeout=0.2) == wake
                break
            except queue.Empty:
                continue
        else:
            pytest.fail("node B never heard node A's wake-up")
        event = PushEvent(owners=frozenset({"alice"}), jobs=frozenset({("alice", "job_1")}))
        relay_a.send(event)
        assert pushes_b.get(timeout=5) == event
        with pytest.raises(queue.Empty):
            pushes_a.get(timeout=1)  # a node does not hear itself
    finally:
        for part in (node_a, node_b, relay_a, relay_b):
            part.stop()
