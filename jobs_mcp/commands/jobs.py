"""`jobs-mcp jobs ...`: list, show and change jobs of any owner, through the same use cases as the tools."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from jobs_mcp.commands.common import (
    OPERATOR,
    Store,
    database_option,
    job_json,
    json_option,
    open_store,
    print_json,
    print_table,
    run_json,
    seconds_between,
    when,
)
from jobs_mcp.commands.wake import wake_nodes
from jobs_mcp.tools_jobs import parse_filter
from scheduler.schedules.job_schedule import listed_summary
from store import operator
from store.enums import JobStatus, JobType
from store.errors import InvalidArgument
from store.models import Job

_STATUSES = ", ".join(s.value for s in JobStatus)
_TYPES = ", ".join(t.value for t in JobType)


@click.group()
def jobs() -> None:
    """List, inspect and change jobs (all owners)."""


@jobs.command("list")
@click.option("--owner", default=None, help="Only this owner's jobs")
@click.option("--status", multiple=True, metavar="STATUS", help=f"Repeatable: {_STATUSES} (ARCHIVED only when named)")
@click.option("--type", "job_type", multiple=True, metavar="TYPE", help=f"Repeatable: {_TYPES}")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 100_000))
@json_option
@database_option
def list_jobs(owner: str | None, status: tuple[str, ...], job_type: tuple[str, ...], limit: int, as_json: bool,
              database_url: str | None) -> None:
    """Jobs, newest first."""
    with open_store(database_url) as store:
        statuses = parse_filter("--status", list(status), JobStatus)
        types = parse_filter("--type", list(job_type), JobType)
        found = operator.list_jobs(store.repo, owner=owner, statuses=statuses, job_types=types, limit=limit)
        if owner is not None and not found and not operator.owner_exists(store.repo, owner):
            raise click.ClickException(f"not_found: no jobs of owner {owner!r}")
    if as_json:
        print_json({"jobs": [job_json(j) for j in found]})
        return
    print_table(None, ["ID", "OWNER", "TYPE", "STATUS", "NEXT RUN (UTC)", "RUNS", "TITLE", "SCHEDULE"],
                [[j.id, j.owner, j.job_type, j.status, when(j.next_run_at), j.run_count, j.title, listed_summary(j)]
                 for j in found])


@jobs.command()
@click.argument("job_id")
@click.option("--runs", default=10, show_default=True, type=click.IntRange(0, 1000), help="Recent runs shown")
@json_option
@database_option
def show(job_id: str, runs: int, as_json: bool, database_url: str | None) -> None:
    """One job: its fields, last runs and events."""
    with open_store(database_url) as store:
        owner = operator.owner_of(store.repo, job_id)
        job, recent = store.service.get_with_runs(owner, job_id, runs)
        events = store.service.events(owner, job_id)
    if as_json:
        print_json({"job": job_json(job), "runs": [run_json(r, job.timezone) for r in recent],
                    "events": [_event_json(e) for e in events]})
        return
    data = job_json(job)
    print_table(f"job {job.id}", ["FIELD", "VALUE"], [[k, v] for k, v in data.items() if k != "id"])
    _runs_table(recent)
    print_table("events", ["AT (UTC)", "FROM", "TO", "ACTOR", "REASON"],
                [[when(e.at), e.from_status, e.to_status, e.actor, e.reason] for e in events])


def _event_json(event: Any) -> dict[str, Any]:
    data = {"at": event.at.isoformat(), "from_status": event.from_status, "to_status": event.to_status,
            "actor": event.actor, "reason": event.reason}
    return {k: v for k, v in data.items() if v is not None}


def _runs_table(runs: list[Any]) -> None:
    print_table("runs", ["RUN", "DUE (UTC)", "STARTED (UTC)", "TOOK", "OUTCOME", "VERDICT", "COST USD", "WORKER",
                         "SUMMARY / ERROR"],
                [[r.id, when(r.scheduled_for), when(r.started_at), seconds_between(r.started_at, r.finished_at),
                  r.outcome, r.verdict, f"{r.cost_usd:.4f}", r.worker, r.error or r.summary] for r in runs])


@jobs.command()
@click.argument("job_id")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 100_000))
@json_option
@database_option
def runs(job_id: str, limit: int, as_json: bool, database_url: str | None) -> None:
    """A job's runs, newest first."""
    with open_store(database_url) as store:
        owner = operator.owner_of(store.repo, job_id)
        job, found = store.service.get_with_runs(owner, job_id, limit)
    if as_json:
        print_json({"job_id": job_id, "runs": [run_json(r, job.timezone) for r in found]})
        return
    _runs_table(found)


def _change(name: str, use_case: Callable[[Store, str, str, str | None], Job]) -> click.Command:
    @click.argument("job_id")
    @click.option("--reason", default=None, help="Why; kept in the job's history")
    @json_option
    @database_option
    def command(job_id: str, reason: str | None, as_json: bool, database_url: str | None) -> None:
        with open_store(database_url) as store:
            owner = operator.owner_of(store.repo, job_id)
            job = use_case(store, owner, job_id, reason)
            wake_nodes(store.db, job)
        if as_json:
            print_json({"job": job_json(job)})
        else:
            click.echo(f"{job.id} {job.status}" + (f" next run {when(job.next_run_at)}" if job.next_run_at else ""))

    return click.command(name)(command)


def _run_now(store: Store, owner: str, job_id: str, reason: str | None) -> Job:
    if reason is not None:
        raise InvalidArgument("--reason", "no reason for run-now (it changes no status)")
    return store.service.run_now(owner, job_id, actor=OPERATOR)


_USE_CASES: dict[str, tuple[str, Callable[[Store, str, str, str | None], Job]]] = {
    "pause": ("Pause a job (a run in progress finishes).",
              lambda s, o, j, r: s.service.pause(o, j, r or "paused by the operator", actor=OPERATOR)),
    "resume": ("Resume a paused job, retry a FAILED one, release a BLOCKED one.",
               lambda s, o, j, r: s.service.resume(o, j, r, actor=OPERATOR)),
    "cancel": ("Cancel a job for good (a run in progress is stopped).",
               lambda s, o, j, r: s.service.cancel(o, j, r, actor=OPERATOR)),
    "run-now": ("Make an ACTIVE job due now.", _run_now),
    "archive": ("Archive a finished job.", lambda s, o, j, r: s.service.archive(o, j, r, actor=OPERATOR)),
}
for _name, (_help, _use_case) in _USE_CASES.items():
    _command = _change(_name, _use_case)
    _command.help = _help
    jobs.add_command(_command)


@jobs.command()
@click.argument("job_id")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation")
@database_option
def delete(job_id: str, yes: bool, database_url: str | None) -> None:
    """Delete a finished job with its runs, messages and events (privacy requests)."""
    with open_store(database_url) as store:
        owner = operator.owner_of(store.repo, job_id)
        if not yes:
            click.confirm(f"Delete job {job_id} of {owner} with all its history?", abort=True)
        store.service.delete(owner, job_id, actor=OPERATOR)
    click.echo(f"{job_id} deleted")
