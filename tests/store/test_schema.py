"""Migrations: a fresh database, a database of the release before migrations, an upgrade from the
baseline, and a database of a newer release, on SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, select, text
from sqlmodel import SQLModel

from store.claims import ClaimStore
from store.engine import make_engine
from store.errors import SchemaTooNew
from store.run_types import JOBS
from store.schema import (
    BASELINE,
    PRE_MIGRATION_MAY_LACK,
    alembic_config,
    current,
    ensure_schema,
    head,
    include_object,
    shipped_head,
    upgrade,
)
from store.search_keyword import KeywordSearch, ensure_keyword_index

# A revision as a developer would add one (docs/migrations.md), kept out of the shipped folder.
# On SQLite it rebuilds the jobs table (what any change of a column's type or constraint does there).
NEXT_REVISION = '''
import sqlalchemy as sa
from alembic import op

revision = "0900_test_note"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("jobs", recreate="always") as batch:
            batch.add_column(sa.Column("note", sa.Text(), nullable=True))
    else:
        op.add_column("jobs", sa.Column("note", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("note")
'''


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


def drift(engine: Engine) -> list[object]:
    """What differs between the tables as the revisions made them and the models."""
    with engine.connect() as conn:
        # Server defaults too (a new database is made from the models, an older one by the revisions), where
        # alembic can compare them: PostgreSQL has no `=` for json to compare '[]' with.
        context = MigrationContext.configure(conn, opts={
            "include_object": include_object, "compare_type": True,
            "compare_server_default": engine.dialect.name == "sqlite"})
        return list(compare_metadata(context, SQLModel.metadata))


def insert_job(engine: Engine, job_id: str, title: str) -> None:
    """A job row as every release wrote it (only the columns all of them have)."""
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO jobs (id, owner, title, instructions, job_type, action, timezone, misfire_grace_seconds,"
            " status, depends_on, run_count, attempt, max_attempts, timeout_seconds, state, guidance, version,"
            " created_at, updated_at) VALUES (:id, 'alice', :title, 'keep it', 'ONE_OFF', 'notify', 'UTC', 3600,"
            " 'ACTIVE', '[]', 0, 0, 3, 300, '{}', '[]', 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00')"),
            {"id": job_id, "title": title})


def found(engine: Engine, words: str) -> list[str]:
    return [hit.job_id for hit in KeywordSearch(engine).search("alice", words)]


def test_the_revisions_on_an_empty_database_make_what_the_models_describe(engine: Engine) -> None:
    # What lets a new database be made from the models at once (store/schema.py): the two agree.
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    assert drift(engine) == []
    assert ensure_schema(engine) == head()


def test_a_fresh_database_is_made_at_the_head_and_matches_the_models(engine: Engine) -> None:
    assert ensure_schema(engine) == head()
    assert drift(engine) == []
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [head()]
    insert_job(engine, "job_fresh", "Chase invoice INV-2093")
    assert found(engine, "INV-2093") == ["job_fresh"]
    assert ensure_schema(engine) == head()  # at every start: nothing to do


BEFORE_MIGRATIONS = ("jobs", "job_runs", "job_events", "deliveries")


@pytest.mark.parametrize("had_max_cost", [False, True])
def test_a_database_of_the_release_before_migrations_is_completed_and_stamped(
        engine: Engine, had_max_cost: bool) -> None:
    # What that release's start did: create_all of its tables (tables added by later revisions are theirs).
    SQLModel.metadata.create_all(engine, tables=[SQLModel.metadata.tables[name] for name in BEFORE_MIGRATIONS])
    ensure_keyword_index(engine)
    with engine.begin() as conn:  # that release had none of the later revisions' columns, indexes and tables
        conn.execute(text("DROP INDEX ix_jobs_due_slots"))  # revision 0007's
        for table, column in sorted(PRE_MIGRATION_MAY_LACK - {("jobs", "max_cost_usd")}):
            conn.execute(text(f"ALTER TABLE {table} DROP COLUMN {column}"))
        if not had_max_cost:  # a database older than the column schema_additions added
            conn.execute(text("ALTER TABLE jobs DROP COLUMN max_cost_usd"))
    insert_job(engine, "job_old", "Water the plants")
    assert "alembic_version" not in inspect(engine).get_table_names()

    assert ensure_schema(engine) == head()
    assert drift(engine) == []
    with engine.connect() as conn:
        assert conn.execute(text("SELECT title, max_cost_usd FROM jobs")).all() == [("Water the plants", None)]
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == head()
    assert found(engine, "plants") == ["job_old"]


def test_an_upgrade_from_the_baseline_keeps_rows_and_the_keyword_index(engine: Engine, tmp_path: Path) -> None:
    ensure_schema(engine)
    insert_job(engine, "job_before", "Renew the passport")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO job_runs (id, job_id, owner, attempt, outcome, tokens_in, tokens_out,"
                          " cache_read_tokens, cache_write_tokens, cost_usd, trace) VALUES ('run_1', 'job_before',"
                          " 'alice', 1, 'succeeded', 0, 0, 0, 0, 0.5, '[]')"))
    (tmp_path / "0900_test_note.py").write_text(NEXT_REVISION.format(down=head()))
    extra = (str(tmp_path),)

    assert ensure_schema(engine, version_locations=extra) == "0900_test_note"
    assert "note" in {c["name"] for c in inspect(engine).get_columns("jobs")}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT id, note FROM jobs")).all() == [("job_before", None)]
        assert conn.execute(text("SELECT job_id, cost_usd FROM job_runs")).all() == [("job_before", 0.5)]
    insert_job(engine, "job_after", "Renew the car insurance")  # the index's triggers survived the rebuild
    assert sorted(found(engine, "renew")) == ["job_after", "job_before"]


def test_revision_0005_reads_back_what_archived_jobs_ended_as(engine: Engine) -> None:
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0004")
    for job_id in ("job_failed", "job_done", "job_purged"):
        insert_job(engine, job_id, job_id)
    with engine.begin() as conn:
        conn.execute(text("UPDATE jobs SET status = 'ARCHIVED', run_count = 1"))
        for job_id, ended in (("job_failed", "FAILED"), ("job_done", "COMPLETED")):
            conn.execute(text("INSERT INTO job_events (job_id, owner, at, from_status, to_status, actor) VALUES"
                              " (:id, 'alice', '2026-01-02 00:00:00', :ended, 'ARCHIVED', 'engine')"),
                         {"id": job_id, "ended": ended})
    assert ensure_schema(engine) == head()
    with engine.connect() as conn:
        assert dict(conn.execute(text("SELECT id, archived_from FROM jobs")).all()) == {
            "job_failed": "FAILED", "job_done": "COMPLETED", "job_purged": None}


def test_a_database_of_a_newer_release_is_refused_and_left_alone(engine: Engine) -> None:
    ensure_schema(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    with pytest.raises(SchemaTooNew) as refused:
        ensure_schema(engine)
    assert refused.value.revision == "9999_from_the_future" and refused.value.head == head()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "9999_from_the_future"


def test_nodes_starting_together_migrate_once(db_url: str) -> None:
    errors: list[BaseException] = []
    engines = [make_engine(db_url) for _ in range(3)]

    def start(engine: Engine) -> None:
        try:
            ensure_schema(engine)
        except BaseException as exc:  # noqa: BLE001  (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(engine,)) for engine in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for engine in engines:
        engine.dispose()
    assert errors == [] and current(db_url) == head()


def test_upgrade_and_current_by_url(db_url: str) -> None:
    assert current(db_url) is None
    assert upgrade(db_url) == head() == current(db_url)


def test_columns_a_database_from_before_migrations_may_lack_are_listed(engine: Engine) -> None:
    """store/database_check.py tells our older tables from another program's by PRE_MIGRATION_MAY_LACK: every
    column of the models that the baseline does not create must be listed there."""
    with engine.begin() as conn:
        config = alembic_config()
        config.attributes["connection"] = conn
        command.upgrade(config, BASELINE)
    inspector = inspect(engine)
    at_baseline = {(table, column["name"]) for table in inspector.get_table_names()
                   for column in inspector.get_columns(table)}
    baseline_tables = set(inspector.get_table_names())  # a table added later cannot be in such a database
    in_models = {(table.name, column.name) for table in SQLModel.metadata.sorted_tables for column in table.columns
                 if table.name in baseline_tables}
    assert in_models - at_baseline <= PRE_MIGRATION_MAY_LACK


def test_the_head_read_from_the_revision_files_is_alembics() -> None:
    assert shipped_head() == head()


def ensure_schema_without_alembic(url: str) -> None:
    """ensure_schema on `url` in a fresh interpreter reaches the head and never imports alembic."""
    code = ("import sys\n"
            "from store.engine import make_engine\n"
            "from store.schema import ensure_schema, shipped_head\n"
            f"assert ensure_schema(make_engine({url!r})) == shipped_head()\n"
            "assert 'alembic' not in sys.modules, 'alembic imported'\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


def test_a_start_on_a_database_at_the_head_does_not_import_alembic(sqlite_url: str) -> None:
    # Every start but the first after an upgrade: one read of alembic_version, and alembic (a fifth of a
    # second of imports) is left out. A database behind the head still goes through alembic (tests above).
    upgrade(sqlite_url)
    ensure_schema_without_alembic(sqlite_url)


def test_a_first_start_on_a_new_database_does_not_import_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    ensure_schema_without_alembic(url)
    assert current(url) == head()


def test_a_database_stamped_ahead_of_the_files_is_still_refused(engine: Engine) -> None:
    # The fast path only ever says "at the head"; anything else goes the full way, which refuses.
    ensure_schema(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    with pytest.raises(SchemaTooNew):
        ensure_schema(engine)


def test_revision_0006_drops_the_run_index_the_job_and_fire_index_covers(engine: Engine) -> None:
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0005")
    assert "ix_job_runs_job_id" in {i["name"] for i in inspect(engine).get_indexes("job_runs")}

    assert ensure_schema(engine) == head()
    assert "ix_job_runs_job_id" not in {i["name"] for i in inspect(engine).get_indexes("job_runs")}
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as conn:  # a job's runs are still found through an index, not a scan
        plan = " ".join(str(row[-1]) for row in conn.execute(
            text("EXPLAIN QUERY PLAN SELECT id FROM job_runs WHERE job_id = 'job_1'")))
    assert "USING INDEX ix_job_runs_job_started" in plan or "USING COVERING INDEX ix_job_runs_job_started" in plan


def test_revision_0007_adds_the_slot_claims_partial_index_as_the_models_describe_it(engine: Engine) -> None:
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0006")
    assert "ix_jobs_due_slots" not in {i["name"] for i in inspect(engine).get_indexes("jobs")}

    assert ensure_schema(engine) == head()
    [index] = [i for i in inspect(engine).get_indexes("jobs") if i["name"] == "ix_jobs_due_slots"]
    assert index["column_names"] == ["status", "next_run_at", "claimed_by", "id", "action", "max_cost_usd"]
    if engine.dialect.name != "sqlite":
        return
    # The migration's WHERE is written as the slot claim's, term for term: else SQLite would not use it.
    claim = select(JOBS.c.id).where(*ClaimStore.slot_due(datetime(2026, 12, 7, 9, tzinfo=UTC))).limit(8)
    with engine.connect() as conn:
        rows = conn.execute(text("EXPLAIN QUERY PLAN " + str(claim.compile(engine, compile_kwargs={
            "literal_binds": True}))))
        assert "COVERING INDEX ix_jobs_due_slots" in " ".join(str(row[-1]) for row in rows)
