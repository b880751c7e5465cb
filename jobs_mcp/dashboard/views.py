"""What the dashboard's pages show, read from the store and shaped for the templates (no HTTP here)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from scheduler.schedules.job_schedule import listed_summary
from store.enums import JobStatus, JobType
from store.models import Delivery, Job, JobRun
from store.overview import cost_per_day, count_jobs, find_job, find_jobs, job_deliveries, job_runs
from store.repository import JobRepository

CHART_DAYS = 30
PAGE = 100  # jobs per page of the list
RUNS_SHOWN = 100  # a job page's newest runs
STATUSES = [s.value for s in JobStatus]
TYPES = [t.value for t in JobType]


@dataclass(frozen=True)
class Filters:
    status: str = ""
    job_type: str = ""
    owner: str = ""
    q: str = ""
    before: str = ""  # a job id: the page of jobs older than it ("" = the newest page)

    @classmethod
    def of(cls, params: dict[str, str], all_owners: bool) -> Filters:
        status = params.get("status", "")
        job_type = params.get("type", "")
        return cls(status=status if status in STATUSES else "", job_type=job_type if job_type in TYPES else "",
                   owner=params.get("owner", "").strip()[:200] if all_owners else "", q=params.get("q", "")[:200],
                   before=params.get("before", "").strip()[:64])

    def query(self, **changes: str) -> str:
        """This view's query string with `changes` applied (empty values left out), for page links."""
        values = {"status": self.status, "type": self.job_type, "owner": self.owner, "q": self.q,
                  "before": self.before} | changes
        return urlencode([(k, v) for k, v in values.items() if v])


@dataclass(frozen=True)
class DayBar:
    day: date
    cost_usd: float
    runs: int
    height: float  # 0..1 of the tallest day


@dataclass(frozen=True)
class Chart:
    bars: list[DayBar]
    total_usd: float
    peak_usd: float


@dataclass(frozen=True)
class JobRow:
    job: Job
    schedule: str


@dataclass(frozen=True)
class JobList:
    rows: list[JobRow]
    total: int  # every job the filters match, on all pages
    older: str | None  # the `before` of the next page, None on the last one


@dataclass(frozen=True)
class RunRow:
    run: JobRun
    duration_s: float | None
    message: str


@dataclass
class JobPage:
    job: Job
    schedule: str
    runs: list[RunRow]
    more_runs: bool  # older runs than those shown exist
    deliveries: dict[str, list[Delivery]] = field(default_factory=dict)  # channel (kind) -> newest first
    chart: Chart | None = None


def chart(repo: JobRepository, owner: str | None, now: datetime, job_id: str | None = None) -> Chart:
    """The last CHART_DAYS UTC days' cost, every day present (a day without runs is a zero bar)."""
    first = (now - timedelta(days=CHART_DAYS - 1)).date()
    since = datetime(first.year, first.month, first.day, tzinfo=now.tzinfo)
    per_day = cost_per_day(repo, owner, since, job_id)
    days = [first + timedelta(days=i) for i in range(CHART_DAYS)]
    peak = max((per_day.get(d, (0.0, 0))[0] for d in days), default=0.0)
    bars = [DayBar(d, *per_day.get(d, (0.0, 0)), height=(per_day.get(d, (0.0, 0))[0] / peak) if peak else 0.0)
            for d in days]
    return Chart(bars, sum(b.cost_usd for b in bars), peak)


def job_list(repo: JobRepository, owner: str | None, filters: Filters) -> JobList:
    """One page of the jobs the filters match, newest first, and how many match in all."""
    matching = {"statuses": [filters.status] if filters.status else (),
                "job_types": [filters.job_type] if filters.job_type else (), "text": filters.q}
    whose = owner if owner is not None else (filters.owner or None)
    jobs = find_jobs(repo, whose, before=filters.before, limit=PAGE + 1, **matching)
    older = jobs[PAGE - 1].id if len(jobs) > PAGE else None
    rows = [JobRow(job, listed_summary(job)) for job in jobs[:PAGE]]
    return JobList(rows, count_jobs(repo, whose, **matching), older)


def job_page(repo: JobRepository, owner: str | None, job_id: str, now: datetime) -> JobPage | None:
    job = find_job(repo, owner, job_id)
    if job is None:
        return None
    deliveries = job_deliveries(repo, job.id)
    said = {d.run_id: d.message for d in reversed(deliveries) if d.run_id and d.kind == "inbox"}
    newest = job_runs(repo, job.id, limit=RUNS_SHOWN + 1)
    runs = [RunRow(r, (r.finished_at - r.started_at).total_seconds() if r.finished_at and r.started_at else None,
                   said.get(r.id) or r.error or r.summary or "") for r in newest[:RUNS_SHOWN]]
    channels: dict[str, list[Delivery]] = defaultdict(list)
    for delivery in deliveries:
        channels[delivery.kind].append(delivery)
    return JobPage(job, listed_summary(job), runs, len(newest) > RUNS_SHOWN, dict(channels),
                   chart(repo, job.owner, now, job.id))
