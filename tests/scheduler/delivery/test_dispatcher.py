"""The dispatcher's fault isolation: one damaged delivery, or one result the store refuses, fails that
delivery alone; every other due delivery is sent and recorded in the same pass (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from scheduler.clock import FakeClock
from scheduler.delivery.dispatcher import WebhookDispatcher
from store.outbox import DeliveryStore
from store.repository import JobRepository
from tests.scheduler.delivery.test_webhooks import ALLOW, SECRET, delivered_once, finish_run, job_with_hook
from tests.support.damage import damage
from tests.support.http import serve_in_thread
from tests.support.receiver import running_receiver


def hooks(repo: JobRepository) -> dict[str, tuple[str, str | None]]:
    """webhook delivery id -> (status, last_error), read with plain SQL (a damaged row defeats the model)."""
    with repo.engine.connect() as conn:
        rows = conn.execute(text("SELECT id, status, last_error FROM deliveries WHERE kind = 'webhook'")).all()
    return {row.id: (row.status, row.last_error) for row in rows}


@contextmanager
def nul_answering_hook() -> Iterator[str]:
    """A receiver that fails with a body holding a NUL byte (PostgreSQL text cannot store it)."""
    async def handle(request: Request) -> PlainTextResponse:
        return PlainTextResponse("overloaded\x00try later", status_code=503)

    with serve_in_thread(Starlette(routes=[Route("/hook", handle, methods=["POST"])])) as base:
        yield base + "/hook"


async def test_a_damaged_delivery_fails_alone_and_the_others_are_sent_in_the_same_pass(
        repo: JobRepository, clock: FakeClock) -> None:
    with running_receiver(SECRET) as receiver:
        job = job_with_hook(repo, clock, receiver.url)
        for n in range(3):
            finish_run(repo, job, clock, f"message {n}")
        damaged = sorted(hooks(repo))[1]
        # PostgreSQL's json type refuses broken JSON: there the payload is valid JSON but not an object.
        damage(repo.engine, "deliveries", damaged,
               {"payload": "'{oops'" if repo.engine.dialect.name == "sqlite" else "'[1, 2]'"})
        dispatcher = WebhookDispatcher(DeliveryStore(repo), clock, ALLOW, worker="node-a")
        await dispatcher.dispatch_once()
        clock.advance(3600)
        assert await dispatcher.dispatch_once() == 0  # nothing left over, the damaged one included
    assert sorted(body["message"] for body in receiver.accepted.values()) == ["message 0", "message 2"]
    assert len(delivered_once(receiver)) == 2
    status, last_error = hooks(repo)[damaged]
    assert status == "failed" and last_error is not None and "the stored delivery cannot be" in last_error


async def test_a_result_the_store_refuses_is_recorded_without_it_and_the_others_are_recorded(
        repo: JobRepository, clock: FakeClock) -> None:
    with running_receiver(SECRET) as receiver, nul_answering_hook() as nul_url:
        healthy = job_with_hook(repo, clock, receiver.url)
        odd = job_with_hook(repo, clock, nul_url)
        for job in (healthy, odd, healthy):
            finish_run(repo, job, clock, f"for {job.id}")
        dispatcher = WebhookDispatcher(DeliveryStore(repo), clock, ALLOW, worker="node-a")
        assert await dispatcher.dispatch_once() == 3
    assert len(delivered_once(receiver)) == 2
    with repo.engine.connect() as conn:
        rows = conn.execute(text("SELECT job_id, status, last_error, claimed_by, next_attempt_at FROM deliveries "
                                 "WHERE kind = 'webhook'")).all()
    assert sorted((row.job_id == odd.id, row.status, row.claimed_by) for row in rows) == [
        (False, "delivered", None), (False, "delivered", None), (True, "pending", None)]
    [refused] = [row for row in rows if row.job_id == odd.id]
    assert refused.next_attempt_at is not None  # retried like any 503
    if repo.engine.dialect.name == "sqlite":
        assert refused.last_error == "HTTP 503: overloaded\x00try later"
    else:
        assert refused.last_error.startswith("the attempt's result could not be stored (DataError")
