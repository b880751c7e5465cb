"""The inbox on both backends: oldest first, ack marks read, one owner's messages only, filtered by chat."""

from __future__ import annotations

from scheduler.clock import FakeClock
from scheduler.jobs.job_input import JobInput
from scheduler.jobs.service import JobService
from store.enums import JobStatus
from store.models import Job
from store.outbox import DeliveryStore, Notice, notice_for_run, write_notice
from store.repository import JobRepository


def leave(repo: JobRepository, job: Job, clock: FakeClock, message: str) -> None:
    with repo.write() as session:
        write_notice(session.connection(), job, Notice(event="run.finished", status="ACTIVE", message=message),
                     clock.now())
    clock.advance(1)


def test_inbox_order_ack_isolation_and_chat_filter(service: JobService, repo: JobRepository,
                                                   clock: FakeClock) -> None:
    a1 = service.create("alice", JobInput(title="a1", instructions="x", chat_id="chat-1")).job
    a2 = service.create("alice", JobInput(title="a2", instructions="x", chat_id="chat-2")).job
    b1 = service.create("bob", JobInput(title="b1", instructions="x", chat_id="chat-1")).job
    for job, text in [(a1, "first"), (b1, "bob's"), (a2, "second"), (a1, "third")]:
        leave(repo, job, clock, text)
    store = DeliveryStore(repo)
    peek = store.read_inbox("alice", None, 10, ack=False, now=clock.now())
    assert [m.message for m in peek] == ["first", "second", "third"]
    assert [m.message for m in store.read_inbox("alice", "chat-1", 10, ack=False, now=clock.now())] == [
        "first", "third"]
    taken = store.read_inbox("alice", "chat-1", 1, ack=True, now=clock.now())
    assert [m.message for m in taken] == ["first"]
    assert [m.message for m in store.read_inbox("alice", None, 10, ack=True, now=clock.now())] == [
        "second", "third"]
    assert store.read_inbox("alice", None, 10, ack=True, now=clock.now()) == []
    assert [m.message for m in store.read_inbox("bob", None, 10, ack=False, now=clock.now())] == ["bob's"]


def test_notice_rules(service: JobService) -> None:
    job = service.create("alice", JobInput(title="Report", instructions="x")).job
    common = {"run_id": "run_1", "verdict": None, "cost_usd": 0.0, "finished_at": job.created_at}
    quiet = notice_for_run(job, to_status=JobStatus.ACTIVE, reason=None, run_message="nothing new", notify=False,
                           **common)
    assert quiet is None  # the judge said it is not worth telling, and the job goes on
    told = notice_for_run(job, to_status=JobStatus.ACTIVE, reason=None, run_message="price fell", notify=True,
                          **common)
    assert told is not None and told.event == "run.finished" and told.message == "price fell"
    done = notice_for_run(job, to_status=JobStatus.COMPLETED, reason="goal met", run_message=None, notify=False,
                          **common)
    assert done is not None and done.event == "job.completed" and "goal met" in done.message
    failed = notice_for_run(job, to_status=JobStatus.FAILED, reason="HTTP 500 three times", run_message="boom",
                            notify=True, **common)
    assert failed is not None and failed.event == "job.failed"
    assert failed.message.startswith("boom") and "HTTP 500 three times" in failed.message
