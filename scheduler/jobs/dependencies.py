"""Dependency checks: every id exists for the owner, no cycle, and what the set means for status."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum

from store.enums import JobStatus
from store.errors import InvalidArgument, NotFound
from store.models import Job
from store.repository import JobRepository


class DependencyState(StrEnum):
    READY = "ready"  # every dependency COMPLETED (or none)
    WAITING = "waiting"  # some not finished yet
    BLOCKED = "blocked"  # one FAILED, CANCELLED, BLOCKED, ARCHIVED without completing, or gone


def check_dependencies(
    repo: JobRepository, owner: str, job_id: str, depends_on: Sequence[str], limit: int
) -> tuple[list[str], dict[str, Job]]:
    """Deduplicated dependency ids and their jobs; raises if one is unknown, foreign, self or cyclic."""
    ids = list(dict.fromkeys(d.strip() for d in depends_on if d and d.strip()))
    if len(ids) > limit:
        raise InvalidArgument("depends_on", f"at most {limit} job ids", f"{len(ids)} ids")
    if job_id in ids:
        raise InvalidArgument("depends_on", "other jobs than the job itself", job_id)
    found = repo.get_jobs(owner, ids)
    missing = [d for d in ids if d not in found]
    if missing:
        # Another owner's job is reported exactly like a missing one.
        raise NotFound("job", missing[0], field="depends_on")
    if ids:
        edges = repo.dependency_edges(owner)
        edges[job_id] = ids
        cycle = find_cycle(edges, job_id)
        if cycle:
            raise InvalidArgument("depends_on", "dependencies without a cycle; this would form " + " -> ".join(cycle),
                                  ids)
    return ids, found


def find_cycle(edges: Mapping[str, Sequence[str]], start: str) -> list[str] | None:
    """A path start -> ... -> start through `edges`, or None."""
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    seen: set[str] = set()
    while stack:
        node, path = stack.pop()
        for nxt in edges.get(node, ()):
            if nxt == start:
                return [*path, start]
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, [*path, nxt]))
    return None


def dependency_state(dependencies: Mapping[str, Job],
                     depends_on: Sequence[str] = ()) -> tuple[DependencyState, str | None]:
    """What the dependencies' statuses mean for the dependent job, and why: the one rule for the
    service (create, update, resume) and the engine (settling PENDING jobs).

    BLOCKED as soon as one dependency FAILED, was CANCELLED, is itself BLOCKED (so a failure blocks
    the whole chain below it), was ARCHIVED from any status but COMPLETED, has a status this version
    does not know, or, among the ids of `depends_on`, is missing from `dependencies` (it no longer
    exists); READY when every one COMPLETED (archived or not); WAITING otherwise.
    """
    for dep_id in depends_on:
        if dep_id not in dependencies:
            return DependencyState.BLOCKED, f"dependency {dep_id} no longer exists"
    waiting = False
    for dep in dependencies.values():
        if dep.status not in _STATUSES:
            return DependencyState.BLOCKED, f"dependency {dep.id} has an unknown status {dep.status!r}"
        status = JobStatus(dep.status)
        if status in (JobStatus.FAILED, JobStatus.CANCELLED, JobStatus.BLOCKED):
            return DependencyState.BLOCKED, f"dependency {dep.id} is {status.value}"
        if status == JobStatus.ARCHIVED and not _archived_complete(dep):
            return DependencyState.BLOCKED, f"dependency {dep.id} was archived without completing"
        if status not in (JobStatus.COMPLETED, JobStatus.ARCHIVED):
            waiting = True
    return (DependencyState.WAITING, None) if waiting else (DependencyState.READY, None)


_STATUSES = frozenset(status.value for status in JobStatus)


def _archived_complete(dep: Job) -> bool:
    if dep.archived_from is not None:
        return dep.archived_from == JobStatus.COMPLETED.value
    # Archived before the status was kept (migration 0005 read it back from the archive event where the
    # history was not yet purged): whether it ran is all that is left to go by.
    return dep.run_count > 0
