"""The keyword index's own contract: per-owner rowid ranges on SQLite, an older index rebuilt, the
candidate window widened past filtered rows, and a search that reads only the caller's share."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, text, update

from store.engine import make_engine
from store.enums import JobStatus
from store.ids import new_job_id
from store.models import Job
from store.repository import JobRepository
from store.run_types import JOBS
from store.schema import ensure_schema
from store.search_keyword import KeywordSearch, ensure_keyword_index

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

# The index as it was before per-owner rowids (store/sql/search_sqlite.sql at the time).
OLD_SQLITE_INDEX = [
    "DROP TRIGGER jobs_fts_after_insert", "DROP TRIGGER jobs_fts_after_update",
    "DROP TRIGGER jobs_fts_after_delete", "DROP TABLE jobs_fts", "DROP TABLE jobs_fts_rows",
    "DROP TABLE jobs_fts_owners",
    "CREATE VIRTUAL TABLE jobs_fts USING fts5(job_id UNINDEXED, title, instructions, "
    "tokenize = 'porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER jobs_fts_after_insert AFTER INSERT ON jobs BEGIN INSERT INTO jobs_fts (job_id, title, "
    "instructions) VALUES (new.id, new.title, new.instructions); END",
    "INSERT INTO jobs_fts (job_id, title, instructions) SELECT id, title, instructions FROM jobs",
]


def add_jobs(repo: JobRepository, owner: str, titles: list[str], status: JobStatus = JobStatus.ACTIVE) -> list[str]:
    jobs = [Job(id=new_job_id(), owner=owner, title=title, instructions=f"{title} (instructions)", job_type="ONE_OFF",
                action="notify", run_at=NOW, timezone="UTC", status=status.value, next_run_at=None,
                created_at=NOW, updated_at=NOW) for title in titles]
    with repo.write() as session:
        session.add_all(jobs)
    return [job.id for job in jobs]


def ids(search: KeywordSearch, owner: str, keywords: str, **kw: object) -> list[str]:
    return [hit.job_id for hit in search.search(owner, keywords, **kw)]  # type: ignore[arg-type]


@pytest.fixture
def sqlite_repo(sqlite_url: str) -> Iterator[JobRepository]:
    engine = make_engine(sqlite_url)
    ensure_schema(engine)
    yield JobRepository(engine)
    engine.dispose()


def fts_rowids(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return dict(conn.execute(text("SELECT job_id, rowid FROM jobs_fts")).all())  # type: ignore[arg-type]


def test_each_owners_rows_form_one_rowid_range(sqlite_repo: JobRepository) -> None:
    alice, bob = [], []
    for n in range(5):  # interleaved, as owners write in real life
        alice += add_jobs(sqlite_repo, "alice", [f"alice {n}"])
        bob += add_jobs(sqlite_repo, "bob", [f"bob {n}"])
    rowids = fts_rowids(sqlite_repo.engine)
    assert {rowids[i] >> 32 for i in alice} == {1} and {rowids[i] >> 32 for i in bob} == {2}
    assert sorted(rowids[i] & 0xFFFFFFFF for i in alice) == [1, 2, 3, 4, 5]


def test_edits_and_deletes_follow_the_job(sqlite_repo: JobRepository) -> None:
    search = KeywordSearch(sqlite_repo.engine)
    [job_id] = add_jobs(sqlite_repo, "alice", ["Water the plants"])
    [other] = add_jobs(sqlite_repo, "alice", ["Water the lawn"])
    with sqlite_repo.write() as session:
        session.connection().execute(update(JOBS).where(JOBS.c.id == job_id)
                                     .values(title="Feed the cat", instructions="Give Tom his dinner"))
    assert ids(search, "alice", "cat") == [job_id] and ids(search, "alice", "water") == [other]
    with sqlite_repo.write() as session:
        session.connection().execute(JOBS.delete().where(JOBS.c.id == job_id))
    assert ids(search, "alice", "cat") == [] and job_id not in fts_rowids(sqlite_repo.engine)
    with sqlite_repo.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM jobs_fts_rows")).scalar() == 1


def test_an_index_from_before_owner_ranges_is_rebuilt_at_start(sqlite_repo: JobRepository) -> None:
    alice = add_jobs(sqlite_repo, "alice", ["Chase invoice INV-2093", "Water the plants"])
    bob = add_jobs(sqlite_repo, "bob", ["Chase invoice INV-2093"])
    with sqlite_repo.engine.begin() as conn:
        for statement in OLD_SQLITE_INDEX:
            conn.exec_driver_sql(statement)
    ensure_keyword_index(sqlite_repo.engine)
    search = KeywordSearch(sqlite_repo.engine)
    assert ids(search, "alice", "INV-2093") == [alice[0]] and ids(search, "bob", "INV-2093") == bob
    # New rows continue each owner's sequence: no rowid is handed out twice.
    later = add_jobs(sqlite_repo, "alice", ["Chase invoice INV-2107"])
    rowids = fts_rowids(sqlite_repo.engine)
    assert len(set(rowids.values())) == 4 and rowids[later[0]] >> 32 == rowids[alice[0]] >> 32
    ensure_keyword_index(sqlite_repo.engine)  # idempotent: a second start rebuilds nothing
    assert fts_rowids(sqlite_repo.engine) == rowids


def test_the_window_widens_past_rows_the_filters_drop(repo: JobRepository) -> None:
    # 60 archived jobs rank above the 3 live ones (their titles say "invoice" twice): more than the first window.
    archived = add_jobs(repo, "alice", [f"Invoice invoice {n}" for n in range(60)], status=JobStatus.ARCHIVED)
    live = add_jobs(repo, "alice", ["Invoice Acme", "Invoice Globex", "Invoice Initech"])
    search = KeywordSearch(repo.engine)
    assert sorted(ids(search, "alice", "invoice", limit=3)) == sorted(live)
    assert len(ids(search, "alice", "invoice", limit=100, statuses=["ARCHIVED"])) == len(archived)
    assert ids(search, "nobody", "invoice") == []


def test_a_search_reads_only_the_callers_share(tmp_path: Path) -> None:
    """The work of alice's search (SQLite virtual machine steps) does not grow with bob's matching rows."""
    engine = make_engine(f"sqlite:///{tmp_path / 'share.db'}")
    steps = [0]

    @event.listens_for(engine, "connect")
    def _count(dbapi_conn: object, _record: object) -> None:
        dbapi_conn.set_progress_handler(lambda: steps.__setitem__(0, steps[0] + 1) or 0, 10)  # type: ignore[attr-defined]

    ensure_schema(engine)
    repo = JobRepository(engine)
    add_jobs(repo, "alice", [f"Invoice for client {n}" for n in range(20)])
    search = KeywordSearch(engine)

    def alice_steps() -> int:
        steps[0] = 0
        assert len(ids(search, "alice", "invoice client")) == 10
        return steps[0]

    alone = alice_steps()
    add_jobs(repo, "bob", [f"Invoice for client {n}" for n in range(2000)])
    beside_bob = alice_steps()
    assert beside_bob < alone * 2, (alone, beside_bob)  # reading bob's 2,000 matches would cost 100 times more
    engine.dispose()
