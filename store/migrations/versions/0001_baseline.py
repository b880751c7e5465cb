"""Baseline: the schema of the first release with migrations.

It also adopts a database made before migrations existed (tables from `create_all`, no
`alembic_version`): a table or index already there is kept as it is, a missing one is created, and
`jobs.max_cost_usd`, which store/schema_additions.py used to add by hand, is added when absent.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    existing = set(inspector.get_table_names())
    for name, create in (("jobs", _jobs), ("job_runs", _job_runs), ("job_events", _job_events),
                         ("deliveries", _deliveries)):
        if name not in existing:
            create()
    if "jobs" in existing and "max_cost_usd" not in {c["name"] for c in inspector.get_columns("jobs")}:
        op.add_column("jobs", sa.Column("max_cost_usd", sa.Float(), nullable=True))
    for name, table, columns in INDEXES:
        if table not in existing or name not in {i["name"] for i in inspector.get_indexes(table)}:
            op.create_index(name, table, columns)


def downgrade() -> None:
    for table in ("deliveries", "job_events", "job_runs", "jobs"):
        op.drop_table(table)


INDEXES: list[tuple[str, str, list[str]]] = [
    ("ix_jobs_due", "jobs", ["status", "next_run_at"]),
    ("ix_jobs_lease", "jobs", ["status", "lease_until"]),
    ("ix_jobs_owner_created", "jobs", ["owner", "created_at"]),
    ("ix_jobs_owner_status", "jobs", ["owner", "status"]),
    ("ix_jobs_updated", "jobs", ["updated_at"]),
    ("ix_job_runs_job_id", "job_runs", ["job_id"]),
    ("ix_job_runs_job_started", "job_runs", ["job_id", "scheduled_for"]),
    ("ix_job_runs_owner_started", "job_runs", ["owner", "started_at"]),
    ("ix_job_events_job_id", "job_events", ["job_id"]),
    ("ix_deliveries_due", "deliveries", ["kind", "status", "next_attempt_at"]),
    ("ix_deliveries_inbox", "deliveries", ["owner", "kind", "read_at", "created_at"]),
    ("ix_deliveries_job_id", "deliveries", ["job_id"]),
    ("ix_deliveries_run", "deliveries", ["run_id"]),
]


def _jobs() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("chat_id", sa.String(200), nullable=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("instructions", sa.Text(), nullable=False),
        sa.Column("job_type", sa.String(16), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("schedule_text", sa.String(500), nullable=True),
        sa.Column("run_at", sa.DateTime(), nullable=True),
        sa.Column("cron", sa.String(120), nullable=True),
        sa.Column("interval_seconds", sa.Integer(), nullable=True),
        sa.Column("interval_days", sa.Integer(), nullable=True),
        sa.Column("anchor_at", sa.DateTime(), nullable=True),
        sa.Column("wall_time", sa.String(8), nullable=True),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("start_at", sa.DateTime(), nullable=True),
        sa.Column("end_at", sa.DateTime(), nullable=True),
        sa.Column("max_runs", sa.Integer(), nullable=True),
        sa.Column("end_condition", sa.Text(), nullable=True),
        sa.Column("misfire_grace_seconds", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("paused_reason", sa.Text(), nullable=True),
        sa.Column("depends_on", sa.JSON(), nullable=False),
        sa.Column("next_run_at", sa.DateTime(), nullable=True),
        sa.Column("last_run_at", sa.DateTime(), nullable=True),
        sa.Column("run_count", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("timeout_seconds", sa.Integer(), nullable=False),
        sa.Column("max_cost_usd", sa.Float(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("guidance", sa.JSON(), nullable=False),
        sa.Column("webhook_url", sa.String(2000), nullable=True),
        sa.Column("webhook_secret", sa.String(500), nullable=True),
        sa.Column("idempotency_key", sa.String(200), nullable=True),
        sa.Column("claimed_by", sa.String(200), nullable=True),
        sa.Column("lease_until", sa.DateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("embedding", sa.LargeBinary(), nullable=True),
        sa.Column("embedding_model", sa.String(200), nullable=True),
        sa.UniqueConstraint("owner", "idempotency_key", name="uq_jobs_owner_idempotency_key"),
    )

def _job_runs() -> None:
    op.create_table(
        "job_runs",
        sa.Column("id", sa.String(24), primary_key=True),
        sa.Column("job_id", sa.String(16), sa.ForeignKey("jobs.id"), nullable=False),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("scheduled_for", sa.DateTime(), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("verdict", sa.String(16), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("output", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("worker", sa.String(200), nullable=True),
        sa.Column("tokens_in", sa.Integer(), nullable=False),
        sa.Column("tokens_out", sa.Integer(), nullable=False),
        sa.Column("cache_read_tokens", sa.Integer(), nullable=False),
        sa.Column("cache_write_tokens", sa.Integer(), nullable=False),
        sa.Column("cost_usd", sa.Float(), nullable=False),
        sa.Column("trace", sa.JSON(), nullable=False),
    )

def _job_events() -> None:
    op.create_table(
        "job_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("job_id", sa.String(16), nullable=False),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("from_status", sa.String(16), nullable=True),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
    )

def _deliveries() -> None:
    op.create_table(
        "deliveries",
        sa.Column("id", sa.String(24), primary_key=True),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("job_id", sa.String(16), nullable=False),
        sa.Column("run_id", sa.String(24), nullable=True),
        sa.Column("chat_id", sa.String(200), nullable=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("event", sa.String(40), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("claimed_by", sa.String(200), nullable=True),
        sa.Column("lease_until", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(), nullable=True),
        sa.Column("read_at", sa.DateTime(), nullable=True),
    )
