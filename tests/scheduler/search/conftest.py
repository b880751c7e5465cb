from __future__ import annotations

import pytest

from jobs_mcp.search_setup import build_search, shared_model
from scheduler.jobs.job_input import JobInput
from scheduler.jobs.service import JobService
from scheduler.search.model import ModelHandle
from scheduler.search.service import SearchService
from store.models import Job
from store.repository import JobRepository

# A small fixed set: near-duplicates, identifiers, and jobs a paraphrase must tell apart.
ALICE_JOBS = [
    ("Chase invoice INV-2093", "Remind Acme Corp to pay invoice INV-2093 (4,200 EUR) until it is settled"),
    ("Chase invoice INV-2107", "Remind Globex to pay invoice INV-2107 (900 EUR) until it is settled"),
    ("Competitor pricing watch", "Check Initech's pricing page every Monday and report any change in plans"),
    ("Disk check on db-prod-3", "Look at free disk space on db-prod-3 and alert me under 10 percent"),
    ("Disk check on db-prod-30", "Look at free disk space on db-prod-30 and alert me under 10 percent"),
    ("Water the plants", "Remind me to water the balcony plants"),
    ("Passport renewal", "Remind me to renew my passport before the trip to Japan"),
    ("Weekly team standup notes", "Summarise the standup notes every Friday and send them to the team"),
]
BOB_JOBS = [
    ("Secret merger memo", "Track the Hooli merger rumours for the board"),
    ("Chase invoice INV-2093", "Bob's own invoice reminder"),
]


@pytest.fixture(scope="session")
def model() -> ModelHandle:
    """The real encoder, loaded once per test session (it takes seconds)."""
    handle = shared_model()
    handle.get(timeout_s=300)
    return handle


@pytest.fixture
def search(repo: JobRepository, service: JobService, model: ModelHandle) -> SearchService:
    return build_search(repo.engine, repo, service, model)


def create(service: JobService, owner: str, title: str, instructions: str) -> Job:
    return service.create(owner, JobInput(title=title, instructions=instructions)).job


@pytest.fixture
def jobs(service: JobService) -> dict[str, Job]:
    """The fixed set, by title (alice's); bob's under 'bob:<title>'."""
    made = {title: create(service, "alice", title, text) for title, text in ALICE_JOBS}
    made.update({f"bob:{title}": create(service, "bob", title, text) for title, text in BOB_JOBS})
    return made
