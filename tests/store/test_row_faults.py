"""store/row_faults.py: what counts as a row's own fault, the row check, and setting a job aside."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DataError, IntegrityError, OperationalError, ProgrammingError, StatementError

from scheduler.clock import FakeClock
from scheduler.jobs.job_input import JobInput
from scheduler.jobs.service import JobService
from store.enums import JobStatus
from store.errors import Conflict, InvalidArgument, StaleVersion, StoreUnavailable
from store.outbox import DeliveryStore, OutboxWriter
from store.repository import JobRepository
from store.row_faults import fault_text, is_row_fault, row_problem, set_aside, unreadable
from tests.support.damage import damage

S = JobStatus


@pytest.mark.parametrize("exc", [
    ValueError("bad"), json.JSONDecodeError("Expecting value", "[x", 1), OverflowError("date value out of range"),
    TypeError("Object of type set is not JSON serializable"), KeyError("Mars/Olympus"), AttributeError("x"),
    InvalidArgument("interval_seconds", "a positive whole number"), Conflict("cannot finish"),
    DataError("UPDATE jobs", {}, Exception("NUL")), IntegrityError("INSERT", {}, Exception("duplicate")),
    StatementError("bind failed", "UPDATE jobs", {}, TypeError("not JSON serializable")),
], ids=lambda exc: type(exc).__name__)
def test_a_value_error_or_a_refused_value_is_the_rows_fault(exc: BaseException) -> None:
    assert is_row_fault(exc)


@pytest.mark.parametrize("exc", [
    StoreUnavailable("the job store is unavailable"), OperationalError("SELECT", {}, Exception("disk full")),
    ProgrammingError("SELECT nope", {}, Exception("syntax error")), StaleVersion("job_1"),
    RuntimeError("a bug"), MemoryError(),
], ids=lambda exc: type(exc).__name__)
def test_an_outage_a_race_or_a_bug_is_never_blamed_on_a_row(exc: BaseException) -> None:
    assert not is_row_fault(exc)


def test_fault_text_names_the_cause_without_the_statement_or_its_parameters() -> None:
    exc = DataError("UPDATE jobs SET output = %(b_output)s", {"b_output": "another owner's text"},
                    Exception("PostgreSQL text fields cannot contain NUL (0x00) bytes\nCONTEXT: more"))
    assert fault_text(exc) == "Exception: PostgreSQL text fields cannot contain NUL (0x00) bytes"
    assert fault_text(ValueError("a\x00b")) == "ValueError: ab"


def make(service: JobService, **fields: object) -> str:
    return service.create("alice", JobInput(title="Tea", instructions="tea", action="notify", **fields)).job.id


def test_row_problem_names_what_the_model_does_not_allow(repo: JobRepository, service: JobService) -> None:
    job = repo.get_job("alice", make(service))
    assert row_problem(job) is None
    cases = {"job_type": ("WEEKLY", "job_type 'WEEKLY'"), "action": ("fax", "action 'fax'"),
             "depends_on": ({"a": 1}, "depends_on is {'a': 1}, not a list"),
             "state": ([1], "state is [1], not a JSON object"), "guidance": ("a note", "guidance is 'a note'"),
             "max_attempts": (None, "max_attempts is None, not a whole number")}
    for name, (value, words) in cases.items():
        problem = row_problem(job.model_copy(update={name: value}))
        assert problem is not None and problem.startswith(words), name
    assert row_problem(job.model_copy(update={"depends_on": ["job_1", 2]})) is not None


def test_set_aside_writes_status_event_and_inbox_from_plain_columns(repo: JobRepository, clock: FakeClock,
                                                                     service: JobService) -> None:
    job_id = make(service, chat_id="c1")
    damage(repo.engine, "jobs", job_id, {"state": "'{oops'" if repo.engine.dialect.name == "sqlite" else "'[1]'"})
    outbox = OutboxWriter()
    with repo.write() as session:
        assert set_aside(session.connection(), outbox, job_id, {S.ACTIVE: S.FAILED}, "the reason", clock.now())
        # A status not in the map means the row moved on: nothing is written.
        assert not set_aside(session.connection(), outbox, job_id, {S.ACTIVE: S.FAILED}, "again", clock.now())
    with repo.engine.connect() as conn:
        row = conn.execute(text("SELECT status, last_error, version, next_run_at FROM jobs WHERE id = :id"),
                           {"id": job_id}).one()
    assert (row.status, row.last_error, row.version, row.next_run_at) == ("FAILED", "the reason", 2, None)
    last = repo.list_events("alice", job_id)[-1]
    assert (last.from_status, last.to_status, last.actor, last.reason) == ("ACTIVE", "FAILED", "engine", "the reason")
    [message] = DeliveryStore(repo).read_inbox("alice", "c1", 10, False, clock.now())
    assert message.event == "job.failed" and message.message == "Job 'Tea' failed: the reason"


def test_unreadable_names_the_columns_that_cannot_be_read(repo: JobRepository, service: JobService) -> None:
    job_id = make(service, run_at=(service.clock.now() + timedelta(hours=1)).isoformat())
    bad_time = "'not a time'" if repo.engine.dialect.name == "sqlite" else "'infinity'"
    damage(repo.engine, "jobs", job_id, {"run_at": bad_time, "last_run_at": bad_time})
    healthy = make(service)
    with repo.read() as session:
        assert unreadable(session.connection(), job_id, "why") == "its stored run_at, last_run_at cannot be read (why)"
        assert unreadable(session.connection(), healthy, "why") == "its stored row cannot be used (why)"
