"""Drop ix_job_runs_job_id: ix_job_runs_job_started (job_id, scheduled_for) starts with job_id, so it
serves every lookup by job (and the foreign key's) the single-column index served, and each run row
inserted updated both. The reminder lane writes a run row per reminder, thousands per second in a
burst (docs/performance.md, issue 16, phase 4).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A database made by create_all from the models of this revision on never had it.
    if "ix_job_runs_job_id" in {i["name"] for i in sa.inspect(op.get_bind()).get_indexes("job_runs")}:
        op.drop_index("ix_job_runs_job_id", table_name="job_runs")


def downgrade() -> None:
    op.create_index("ix_job_runs_job_id", "job_runs", ["job_id"])
