"""Export and import of an owner's jobs (`jobs-mcp export` / `import`): a versioned JSON document.

Format (FORMAT, VERSION 1):
    {"format": "jobs-mcp.export", "version": 1, "owner": "...", "exported_at": "...Z",
     "settings": {"timezone": ..., "channels": [...], "quiet_hours": ...},   (only if the owner has any)
     "jobs": [{<every column of the jobs table but the engine's and the search index's own>}, ...]}
Times are ISO 8601 UTC. Ids are kept. Import is idempotent: a job whose id is already stored for
the same owner is left as it is (counted as `existing`), and so are settings the owner already has
on this server; an id stored for another owner refuses the whole file. A job exported while
IN_PROGRESS comes back ACTIVE (its run belonged to the old server). Runs, deliveries and events are
not part of an export: it carries the jobs and their settings, and the owner's defaults.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import select

from store import quiet_hours
from store.enums import JobStatus
from store.errors import Conflict, InvalidArgument
from store.models import Job, JobEvent, OwnerSettings
from store.repository import JobRepository
from store.types import UTCDateTime
from store.write_lock import write_lock

FORMAT = "jobs-mcp.export"
VERSION = 1
JOBS = Job.__table__  # type: ignore[attr-defined]
EVENTS = JobEvent.__table__  # type: ignore[attr-defined]
SETTINGS = OwnerSettings.__table__  # type: ignore[attr-defined]
SETTING_NAMES = ("timezone", "channels", "quiet_hours")  # the owner_settings tool's; not updated_at
# The engine's lease, the row version and the search index's vector are the server's, not the job's.
NOT_EXPORTED = frozenset({"claimed_by", "lease_until", "version", "embedding", "embedding_model"})
COLUMNS = [c for c in JOBS.c if c.name not in NOT_EXPORTED]
REQUIRED = frozenset({"id", "owner", "title", "instructions", "job_type", "status", "created_at", "updated_at"})


def export_owner(repo: JobRepository, owner: str, now: datetime) -> dict[str, Any]:
    with repo.engine.execution_options(sqlite_begin="DEFERRED").connect() as conn:
        rows = conn.execute(select(*COLUMNS).where(JOBS.c.owner == owner)
                            .order_by(JOBS.c.created_at, JOBS.c.id)).mappings().all()
        settings = conn.execute(select(*(SETTINGS.c[name] for name in SETTING_NAMES))
                                .where(SETTINGS.c.owner == owner)).mappings().first()
    document: dict[str, Any] = {"format": FORMAT, "version": VERSION, "owner": owner, "exported_at": _iso(now)}
    if settings is not None:
        document["settings"] = dict(settings)
    document["jobs"] = [{k: _iso(v) if isinstance(v, datetime) else v for k, v in row.items()} for row in rows]
    return document


@dataclass(frozen=True)
class ImportResult:
    owner: str
    imported: list[str]
    existing: list[str]
    settings: Literal["imported", "kept", "none"]  # the owner's defaults: written, already there, not in the file


def import_document(repo: JobRepository, document: Any, now: datetime, actor: str) -> ImportResult:
    """Store the document's jobs (one transaction); InvalidArgument naming what is wrong, nothing written."""
    owner, jobs = _check_document(document)
    settings = _check_settings(document.get("settings"))
    with write_lock(repo.engine), repo.engine.begin() as conn:
        ids = [job["id"] for job in jobs]
        stored = dict(conn.execute(select(JOBS.c.id, JOBS.c.owner).where(JOBS.c.id.in_(ids))).all())
        foreign = [job_id for job_id, other in stored.items() if other != owner]
        if foreign:
            raise Conflict(f"job {foreign[0]} is stored for another owner; nothing was imported", job_id=foreign[0])
        new = [job for job in jobs if job["id"] not in stored]
        if new:
            conn.execute(JOBS.insert(), new)
            conn.execute(EVENTS.insert(), [
                {"job_id": job["id"], "owner": owner, "at": now, "from_status": None, "to_status": job["status"],
                 "actor": actor, "reason": "imported"} for job in new])
        said: Literal["imported", "kept", "none"] = "none"
        if settings is not None:
            kept = conn.execute(select(SETTINGS.c.owner).where(SETTINGS.c.owner == owner)).first() is not None
            if not kept:
                conn.execute(SETTINGS.insert(), [{"owner": owner, "updated_at": now, **settings}])
            said = "kept" if kept else "imported"
    return ImportResult(owner, [job["id"] for job in new], [job_id for job_id in ids if job_id in stored], said)


def _check_settings(settings: Any) -> dict[str, Any] | None:
    """The document's owner defaults, checked as the owner_settings tool would keep them, or None."""
    if settings is None:
        return None
    if not isinstance(settings, dict) or not settings.keys() <= set(SETTING_NAMES):
        raise InvalidArgument("settings", f"an object with at most {', '.join(SETTING_NAMES)}", _kind(settings))
    values = {"timezone": settings.get("timezone"), "channels": settings.get("channels") or [],
              "quiet_hours": settings.get("quiet_hours")}
    if not isinstance(values["channels"], list) or not all(isinstance(c, str) for c in values["channels"]):
        raise InvalidArgument("settings.channels", "a list of channel URLs", values["channels"])
    if values["timezone"] is not None:
        try:
            ZoneInfo(str(values["timezone"]))
        except (ValueError, KeyError) as exc:  # ZoneInfoNotFoundError is a KeyError
            raise InvalidArgument("settings.timezone", "an IANA zone, e.g. 'Europe/Berlin'",
                                  values["timezone"]) from exc
    if values["quiet_hours"] is not None and quiet_hours.parse(str(values["quiet_hours"])) is None:
        raise InvalidArgument("settings.quiet_hours", quiet_hours.EXPECTED, values["quiet_hours"])
    try:
        OwnerSettings.model_validate({"owner": "x", "updated_at": datetime(2000, 1, 1), **values})
    except ValueError as exc:
        raise InvalidArgument("settings", "settings with the types and lengths of the owner_settings table",
                              reason=str(exc).splitlines()[0]) from exc
    return values


def _check_document(document: Any) -> tuple[str, list[dict[str, Any]]]:
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise InvalidArgument("file", f"a {FORMAT} document (written by jobs-mcp export)", _kind(document))
    if document.get("version") != VERSION:
        raise InvalidArgument("version", f"{VERSION} (this release reads version {VERSION} only)",
                              document.get("version"))
    owner, jobs = document.get("owner"), document.get("jobs")
    if not isinstance(owner, str) or not owner or not isinstance(jobs, list):
        raise InvalidArgument("file", "an owner and a list of jobs", _kind(document))
    checked = [_check_job(owner, index, job) for index, job in enumerate(jobs)]
    if len({job["id"] for job in checked}) != len(checked):
        raise InvalidArgument("jobs", "each job id once", "a repeated id")
    return owner, checked


def _check_job(owner: str, index: int, job: Any) -> dict[str, Any]:
    where = f"jobs[{index}]"
    if not isinstance(job, dict):
        raise InvalidArgument(where, "a job object", _kind(job))
    missing = sorted(REQUIRED - job.keys())
    if missing:
        raise InvalidArgument(where, f"the fields {', '.join(REQUIRED)}", f"no {', '.join(missing)}")
    if job["owner"] != owner:
        raise InvalidArgument(f"{where}.owner", f"the document's owner {owner!r}", job["owner"])
    values: dict[str, Any] = {}
    for column in COLUMNS:
        if column.name not in job:
            continue
        value = job[column.name]
        if isinstance(column.type, UTCDateTime) and value is not None:
            value = _parse_time(f"{where}.{column.name}", value)
        values[column.name] = value
    try:
        status = JobStatus(values["status"])
    except ValueError as exc:
        raise InvalidArgument(f"{where}.status", "a job status", values["status"]) from exc
    if status == JobStatus.IN_PROGRESS:
        values["status"] = JobStatus.ACTIVE.value  # its run was the old server's
    try:
        Job.model_validate(values)  # the column types and lengths, as the model declares them
    except ValueError as exc:
        raise InvalidArgument(where, "a job with the types and lengths of the jobs table",
                              reason=str(exc).splitlines()[0]) from exc
    return values


def _parse_time(field: str, value: Any) -> datetime:
    try:
        when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidArgument(field, "an ISO 8601 time", value) from exc
    if when.tzinfo is None:
        raise InvalidArgument(field, "an ISO 8601 time with its offset", value)
    return when


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _kind(value: Any) -> str:
    return type(value).__name__ if not isinstance(value, dict) else "an object without format " + FORMAT
