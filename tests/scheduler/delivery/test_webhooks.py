"""Webhook delivery: signed, retried on 500/429 with growing delays, stopped by a 400, each delivered once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlmodel import select

from scheduler.clock import FakeClock
from scheduler.delivery.dispatcher import WebhookDispatcher
from scheduler.delivery.webhooks import RETRY_DELAYS_S
from scheduler.jobs.job_input import JobInput
from scheduler.jobs.service import JobService
from scheduler.jobs.validation import Limits
from scheduler.net_guard import AllowList
from store.enums import JobStatus
from store.errors import InvalidArgument
from store.models import Delivery, Job
from store.outbox import DeliveryStore, Notice, write_notice
from store.repository import JobRepository
from tests.support.receiver import Receiver, running_receiver

SECRET = "a-long-webhook-secret"
ALLOW = AllowList.parse(["127.0.0.1"])


def job_with_hook(repo: JobRepository, clock: FakeClock, url: str) -> Job:
    service = JobService(repo, clock, Limits(fetch_allow=ALLOW))
    data = JobInput(title="Price watch", instructions="tell me", action="notify", chat_id="chat-1",
                    webhook_url=url, webhook_secret=SECRET)
    return service.create("alice", data).job


def finish_run(repo: JobRepository, job: Job, clock: FakeClock, message: str) -> None:
    """What the engine's outbox hook does when a run finishes: write the notice in a transaction."""
    notice = Notice(event="run.finished", status=JobStatus.ACTIVE.value, message=message, run_id=None,
                    finished_at=clock.now())
    with repo.write() as session:
        write_notice(session.connection(), job, notice, clock.now())


def webhook_row(repo: JobRepository) -> Delivery:
    with repo.read() as session:
        return session.exec(select(Delivery).where(Delivery.kind == "webhook")).one()


def delivered_once(receiver: Receiver) -> list[str]:
    ids = [call["delivery"] for call in receiver.calls if call["status"] == 200]
    assert len(ids) == len(set(ids)), "a delivery id was accepted twice"
    return ids


async def test_retries_with_growing_delays_until_accepted(repo: JobRepository, clock: FakeClock) -> None:
    with running_receiver(SECRET, fail_with=[500, 429, 503]) as receiver:
        job = job_with_hook(repo, clock, receiver.url)
        finish_run(repo, job, clock, "The price dropped to $18")
        store = DeliveryStore(repo)
        dispatcher = WebhookDispatcher(store, clock, ALLOW, worker="node-a")
        assert await dispatcher.dispatch_once() == 1  # attempt 1: 500
        for delay in RETRY_DELAYS_S[:3]:
            clock.advance(delay - 1)
            assert await dispatcher.dispatch_once() == 0, "retried before its delay"
            clock.advance(1)
            assert await dispatcher.dispatch_once() == 1
        clock.advance(3600)
        assert await dispatcher.dispatch_once() == 0, "nothing left after the delivery succeeded"
    assert [c["status"] for c in receiver.calls] == [500, 429, 503, 200]
    assert all(c["signed"] for c in receiver.calls)
    assert len({c["delivery"] for c in receiver.calls}) == 1  # the same delivery id on every attempt
    body = receiver.accepted[delivered_once(receiver)[0]]
    assert body["message"] == "The price dropped to $18" and body["attempt"] == 4
    assert {body["job_id"], body["owner"], body["chat_id"]} == {job.id, "alice", "chat-1"}
    assert {"event", "delivery_id", "run_id", "status", "verdict", "started_at", "finished_at", "duration_s",
            "cost_usd"} <= body.keys()


async def test_a_400_stops_retries_and_is_recorded(repo: JobRepository, clock: FakeClock) -> None:
    with running_receiver(SECRET, fail_with=[400]) as receiver:
        job = job_with_hook(repo, clock, receiver.url)
        finish_run(repo, job, clock, "hello")
        dispatcher = WebhookDispatcher(DeliveryStore(repo), clock, ALLOW, worker="node-a")
        assert await dispatcher.dispatch_once() == 1
        clock.advance(86_400)
        assert await dispatcher.dispatch_once() == 0
    assert [c["status"] for c in receiver.calls] == [400]
    hook = webhook_row(repo)
    assert hook.status == "failed" and hook.last_error is not None and "HTTP 400" in hook.last_error


async def test_gives_up_after_a_day_of_network_errors(repo: JobRepository, clock: FakeClock) -> None:
    with running_receiver(SECRET) as receiver:
        url = receiver.url
    job = job_with_hook(repo, clock, url)  # the receiver is gone: every attempt is refused
    finish_run(repo, job, clock, "hello")
    dispatcher = WebhookDispatcher(DeliveryStore(repo), clock, ALLOW, worker="node-a")
    attempts = 0
    for _ in range(60):
        attempts += await dispatcher.dispatch_once()
        clock.advance(3600)
    # 5 s, 15 s, 60 s, 5 min, 15 min, then hourly within 24 h: 6 + 23 = about 29 attempts, then no more.
    assert 25 <= attempts <= 30
    hook = webhook_row(repo)
    assert hook.status == "failed" and "ConnectError" in (hook.last_error or "")


async def test_two_nodes_never_send_the_same_attempt(repo: JobRepository, clock: FakeClock) -> None:
    with running_receiver(SECRET) as receiver:
        job = job_with_hook(repo, clock, receiver.url)
        for i in range(20):
            finish_run(repo, job, clock, f"message {i}")
        a = WebhookDispatcher(DeliveryStore(repo), clock, ALLOW, worker="node-a")
        b = WebhookDispatcher(DeliveryStore(repo), clock, ALLOW, worker="node-b")
        sent = await asyncio.gather(a.dispatch_once(), b.dispatch_once(), a.dispatch_once(), b.dispatch_once())
    assert sum(sent) == 20
    assert len(delivered_once(receiver)) == 20


async def test_a_lost_lease_is_sent_again(repo: JobRepository, clock: FakeClock) -> None:
    """A node that claimed a delivery and died: once its lease expires another node sends it."""
    with running_receiver(SECRET) as receiver:
        job = job_with_hook(repo, clock, receiver.url)
        finish_run(repo, job, clock, "hello")
        store = DeliveryStore(repo)
        assert len(store.claim_webhooks(clock.now(), "dead-node", 10, lease_s=30)) == 1
        survivor = WebhookDispatcher(store, clock, ALLOW, worker="node-b")
        assert await survivor.dispatch_once() == 0  # still leased
        clock.advance(timedelta(seconds=31).total_seconds())
        assert await survivor.dispatch_once() == 1
    assert len(delivered_once(receiver)) == 1


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/hook"])
async def test_the_guard_is_applied_again_when_sending(repo: JobRepository, clock: FakeClock, url: str) -> None:
    job = job_with_hook(repo, clock, url)  # allowed when set...
    finish_run(repo, job, clock, "hello")
    strict = WebhookDispatcher(DeliveryStore(repo), clock, AllowList(), worker="node-a")  # ...not when sent
    assert await strict.dispatch_once() == 1
    hook = webhook_row(repo)
    assert hook.status == "failed" and "refused" in (hook.last_error or "")


@pytest.mark.parametrize(("url", "why"), [
    ("http://[2002:7f00:1::]/hook", "carries 127.0.0.1, a loopback address"),
    ("http://[64:ff9b::a9fe:a9fe]/hook", "carries 169.254.169.254, a cloud metadata address"),
    ("http://010.010.010.010/hook", "malformed URL"), ("http://2130706433/hook", "octal, hex and integer"),
    ("http://exa mple.com/hook", "whitespace"), ("http://[::1/hook", "malformed URL"),
    ("http://127.0.0.1:99999/hook", "port 99999"),
])
def test_a_hostile_or_malformed_webhook_url_is_refused_at_create(repo: JobRepository, clock: FakeClock, url: str,
                                                                 why: str) -> None:
    service = JobService(repo, clock, Limits())
    data = JobInput(title="t", instructions="i", action="notify", webhook_url=url, webhook_secret=SECRET)
    with pytest.raises(InvalidArgument, match=f"webhook_url: .*{why}") as caught:
        service.create("alice", data)
    assert caught.value.field == "webhook_url"
    assert service.list("alice").jobs == []
