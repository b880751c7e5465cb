"""ix_jobs_due_slots: the due jobs the run slots claim, apart from the reminder lane's plain reminders.

Each engine pass claims slot jobs first, then fires a batch of reminders. The slot claim read
ix_jobs_due, where a burst of due reminders sits in front of every later job, and walked all of
them: 7 ms a pass with 10,000 due, on SQLite and PostgreSQL alike (docs/performance.md, issue 16,
phase 5). The partial index holds only the jobs the slots claim, so a reminder's fire never
writes to it; it covers the claim's read, which is what makes SQLite's planner take it.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# As store.models.SLOT_JOBS renders it: the slot claim's WHERE must hold these terms as written.
_SLOT_JOBS = sa.text("status = 'ACTIVE' AND (action != 'notify' OR max_cost_usd IS NOT NULL)")
_COLUMNS = ["status", "next_run_at", "claimed_by", "id", "action", "max_cost_usd"]


def upgrade() -> None:
    # A database made by create_all from the models of this revision on has it already.
    if "ix_jobs_due_slots" not in {i["name"] for i in sa.inspect(op.get_bind()).get_indexes("jobs")}:
        op.create_index("ix_jobs_due_slots", "jobs", _COLUMNS, sqlite_where=_SLOT_JOBS, postgresql_where=_SLOT_JOBS)


def downgrade() -> None:
    op.drop_index("ix_jobs_due_slots", table_name="jobs")
