"""Channel deliveries (Apprise) against real receivers: json:// over local HTTP, mqtt:// through the local
Mosquitto broker to a real subscriber, mailto:// to an SMTP server the test starts. Each channel has its
own attempts; one that is down neither delays the others nor is delivered twice; no secret reaches a
recorded error or a log line; quiet hours hold pushes on the injected clock unless the job is urgent."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import threading
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from scheduler import pinned_dns
from scheduler.clock import FakeClock
from scheduler.delivery.channels import ChannelDispatcher
from scheduler.delivery.webhooks import RETRY_DELAYS_S
from scheduler.jobs.job_input import JobInput
from scheduler.jobs.service import JobService
from scheduler.jobs.validation import Limits
from scheduler.net_guard import AllowList
from store.enums import JobStatus
from store.models import Delivery, Job, OwnerSettings
from store.outbox import DeliveryStore, Notice, write_notice
from store.repository import JobRepository
from tests.support.channels import json_receiver, mqtt_subscriber, smtp_server
from tests.support.http import free_port

ALLOW = AllowList.parse(["127.0.0.1"])
PASSWORD = "rec3iver-Passw0rd"


def make_job(repo: JobRepository, clock: FakeClock, channels: list[str], **fields: object) -> Job:
    service = JobService(repo, clock, Limits(fetch_allow=ALLOW))
    data = JobInput(title="Take the bins out", instructions="bins", action="notify", channels=channels, **fields)
    return service.create("alice", data).job


def finish(repo: JobRepository, job: Job, clock: FakeClock, message: str, status: JobStatus = JobStatus.ACTIVE,
           event: str = "run.finished") -> None:
    notice = Notice(event=event, status=status.value, message=message, run_id=None, finished_at=clock.now())
    with repo.write() as session:
        write_notice(session.connection(), job, notice, clock.now())


def channel_rows(repo: JobRepository) -> list[Delivery]:
    with repo.read() as session:
        return list(session.exec(select(Delivery).where(Delivery.kind == "channel").order_by(Delivery.id)).all())


def dispatcher(repo: JobRepository, clock: FakeClock) -> ChannelDispatcher:
    return ChannelDispatcher(DeliveryStore(repo), clock, ALLOW, worker="node-a", send_timeout_s=15)


async def test_each_channel_is_its_own_delivery_and_a_down_one_delivers_once_later(
        repo: JobRepository, clock: FakeClock) -> None:
    with json_receiver(fail_with=[503, 503]) as down, json_receiver() as up:
        job = make_job(repo, clock, [down.url(), up.url()])
        finish(repo, job, clock, "Bins go out tonight")
        sender = dispatcher(repo, clock)
        assert await sender.dispatch_once() == 2
        assert len(up.accepted) == 1, "the healthy channel waited for the one that is down"
        assert [r.status for r in channel_rows(repo)] == ["pending", "delivered"]
        clock.advance(RETRY_DELAYS_S[0] - 1)
        assert await sender.dispatch_once() == 0, "retried before its delay"
        for delay in RETRY_DELAYS_S[:2]:
            clock.advance(delay)
            await sender.dispatch_once()
        clock.advance(3600)
        assert await sender.dispatch_once() == 0
    assert [c["status"] for c in down.calls] == [503, 503, 200]
    assert len(down.accepted) == 1 and len(up.accepted) == 1
    assert down.accepted[0]["title"] == "Take the bins out" and down.accepted[0]["message"] == "Bins go out tonight"
    rows = channel_rows(repo)
    assert [(r.status, r.attempts) for r in rows] == [("delivered", 3), ("delivered", 1)]


async def test_two_nodes_push_each_channel_delivery_once_and_a_dead_nodes_lease_is_taken_over(
        repo: JobRepository, clock: FakeClock) -> None:
    with json_receiver() as receiver:
        job = make_job(repo, clock, [receiver.url()])
        for n in range(6):
            finish(repo, job, clock, f"message {n}")
        store = DeliveryStore(repo)
        dead = store.claim("channel", clock.now(), "dead-node", 2, lease_s=30)  # it dies before pushing
        node_a, node_b = dispatcher(repo, clock), ChannelDispatcher(store, clock, ALLOW, worker="node-b")
        made = await asyncio.gather(node_a.dispatch_once(), node_b.dispatch_once())
        assert sum(made) == 4, "a row was claimed twice or the dead node's rows were taken while leased"
        clock.advance(31)  # the dead node's lease expires
        assert sum(await asyncio.gather(node_a.dispatch_once(), node_b.dispatch_once())) == 2
    messages = sorted(body["message"] for body in receiver.accepted)
    assert messages == [f"message {n}" for n in range(6)]
    rows = channel_rows(repo)
    assert all(r.status == "delivered" for r in rows)
    assert sorted(r.attempts for r in rows if r.id in {d.id for d in dead}) == [2, 2]


async def test_a_failed_job_says_so_in_the_title_and_the_body_is_plain_text(
        repo: JobRepository, clock: FakeClock) -> None:
    with json_receiver() as receiver:
        job = make_job(repo, clock, [receiver.url()])
        finish(repo, job, clock, "Job 'Take the bins out' failed: the bins are gone", JobStatus.FAILED, "job.failed")
        await dispatcher(repo, clock).dispatch_once()
    assert receiver.accepted[0]["title"] == "Take the bins out (failed)"
    assert receiver.accepted[0]["type"] == "info"


async def test_mqtt_channel_reaches_a_real_subscriber(repo: JobRepository, clock: FakeClock) -> None:
    with mqtt_subscriber() as (topic, received):
        job = make_job(repo, clock, [f"mqtt://127.0.0.1:1883/{topic}"])
        finish(repo, job, clock, "Dentist at 3pm")
        assert await dispatcher(repo, clock).dispatch_once() == 1
        got_topic, payload = received.get(timeout=10)
    assert got_topic == topic
    assert "Dentist at 3pm" in payload.decode()
    assert channel_rows(repo)[0].status == "delivered"


async def test_a_kept_mqtt_service_carries_later_messages_in_order(repo: JobRepository, clock: FakeClock) -> None:
    with mqtt_subscriber() as (topic, received):
        job = make_job(repo, clock, [f"mqtt://127.0.0.1:1883/{topic}?qos=1"])
        sender = dispatcher(repo, clock)
        for n in range(3):
            finish(repo, job, clock, f"message {n}")
            assert await sender.dispatch_once() == 1
        payloads = [received.get(timeout=10)[1].decode() for _ in range(3)]
    assert [p.splitlines()[-1] for p in payloads] == ["message 0", "message 1", "message 2"]
    assert len(sender._kept._items) == 1  # one connected service served all three


async def test_mailto_channel_reaches_a_real_smtp_server(repo: JobRepository, clock: FakeClock) -> None:
    with smtp_server() as (port, messages):
        url = f"mailto://127.0.0.1:{port}?from=jobs@example.com&to=alice@example.org"
        job = make_job(repo, clock, [url])
        finish(repo, job, clock, "Renew the passport this week")
        assert await dispatcher(repo, clock).dispatch_once() == 1
    assert channel_rows(repo)[0].status == "delivered", channel_rows(repo)[0].last_error
    assert len(messages) == 1
    mail = messages[0]
    assert mail["Subject"] == "Take the bins out" and "alice@example.org" in mail["To"]
    assert "Renew the passport this week" in mail.get_payload(decode=True).decode()


async def test_no_secret_in_a_recorded_error_or_any_log_line(repo: JobRepository, clock: FakeClock,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with json_receiver(fail_with=[500] * 20) as receiver:
        url = receiver.url(f"alice:{PASSWORD}@")
        job = make_job(repo, clock, [url])
        finish(repo, job, clock, "Message")
        sender = dispatcher(repo, clock)
        await sender.dispatch_once()
        clock.advance(hours=25)  # past the retry window: the next failure is final and logged
        await sender.dispatch_once()
    assert receiver.calls[0]["auth"], "the credentials were not sent at all"
    row = channel_rows(repo)[0]
    assert row.status == "failed" and row.last_error
    assert PASSWORD not in row.last_error
    assert PASSWORD not in caplog.text
    assert "json://alice:****@127.0.0.1" in caplog.text  # the final failure names the channel, masked


def set_owner(repo: JobRepository, **values: object) -> None:
    with repo.write() as session:
        session.add(OwnerSettings(owner="alice", updated_at=datetime(2026, 1, 1, tzinfo=UTC), **values))


async def test_quiet_hours_hold_pushes_until_their_end_unless_urgent(repo: JobRepository, clock: FakeClock) -> None:
    # The clock is 12:00 UTC = 21:00 in Tokyo; quiet from 20:00 to 07:00 there (22:00 UTC).
    set_owner(repo, timezone="Asia/Tokyo", quiet_hours="20:00-07:00")
    with json_receiver() as receiver:
        quiet = make_job(repo, clock, [receiver.url()])
        urgent = make_job(repo, clock, [receiver.url()], urgent=True)
        finish(repo, quiet, clock, "can wait")
        finish(repo, urgent, clock, "cannot wait")
        sender = dispatcher(repo, clock)
        assert await sender.dispatch_once() == 1
        assert [b["message"] for b in receiver.accepted] == ["cannot wait"]
        clock.advance(10 * 3600 - 1)  # 06:59:59 in Tokyo
        assert await sender.dispatch_once() == 0
        clock.advance(1)
        assert await sender.dispatch_once() == 1
    assert [b["message"] for b in receiver.accepted] == ["cannot wait", "can wait"]


async def test_a_job_without_channels_uses_its_owners_defaults(repo: JobRepository, clock: FakeClock) -> None:
    with json_receiver() as receiver:
        set_owner(repo, channels=[receiver.url()])
        job = make_job(repo, clock, [])
        finish(repo, job, clock, "to the default")
        assert await dispatcher(repo, clock).dispatch_once() == 1
    assert [b["message"] for b in receiver.accepted] == ["to the default"]


async def test_a_channel_name_that_rebinds_after_the_check_is_not_reached(
        repo: JobRepository, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    """The name answers an allowed address to the guard's checks (at creation and before the push) and a
    loopback address the guard refuses to every later lookup: Apprise's own connection must go where the
    check looked (scheduler/pinned_dns.py), not to the internal service listening on the rebound address."""
    real = pinned_dns._system_getaddrinfo
    lookups: list[str] = []

    def rebinding_dns(host: object, port: object, *args: object) -> list:
        if host == "hooks.rebind.test":
            lookups.append("checked" if len(lookups) < 2 else "rebound")
            host = "127.0.0.1" if lookups[-1] == "checked" else "127.0.0.2"
        return real(host, port, *args)

    monkeypatch.setattr(pinned_dns, "_system_getaddrinfo", rebinding_dns)
    monkeypatch.setattr(socket, "getaddrinfo", pinned_dns._getaddrinfo)
    port = free_port()
    with json_receiver(port=port) as checked, json_receiver(host="127.0.0.2", port=port) as internal:
        job = make_job(repo, clock, [f"json://hooks.rebind.test:{port}/push"])
        finish(repo, job, clock, "For the allowed address only")
        assert await dispatcher(repo, clock).dispatch_once() == 1
    assert lookups == ["checked", "checked"]  # creation and the push's check; the connection asked no DNS
    assert internal.calls == []
    assert [c["message"] for c in checked.accepted] == ["For the allowed address only"]


def test_a_pin_holds_in_its_own_context_only() -> None:
    pin = {"pinned.example": [ipaddress.ip_address("192.0.2.7")]}
    seen_elsewhere: list[BaseException] = []

    def lookup_elsewhere() -> None:
        try:
            socket.getaddrinfo("pinned.example", 80)
        except OSError as exc:  # no DNS here: the name does not resolve off the pin
            seen_elsewhere.append(exc)

    with pinned_dns.pinned(pin):
        answers = {info[4][0] for info in socket.getaddrinfo("PINNED.example.", 80, type=socket.SOCK_STREAM)}
        other = threading.Thread(target=lookup_elsewhere)
        other.start()
        other.join()
    assert answers == {"192.0.2.7"}
    assert len(seen_elsewhere) == 1
    with pytest.raises(OSError):
        socket.getaddrinfo("pinned.example", 80)  # the pin ended with the block
