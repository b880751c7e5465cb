"""jobs.archived_from: the status an ARCHIVED job ended with, so a job depending on it can tell a
completed dependency from a failed or cancelled one.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_READ_BACK = sa.text(
    "UPDATE jobs SET archived_from = (SELECT e.from_status FROM job_events e WHERE e.job_id = jobs.id"
    " AND e.to_status = 'ARCHIVED' ORDER BY e.id DESC LIMIT 1)"
    " WHERE status = 'ARCHIVED' AND archived_from IS NULL")


def upgrade() -> None:
    # A database adopted by the baseline may have been made by create_all with it already.
    if "archived_from" not in {c["name"] for c in sa.inspect(op.get_bind()).get_columns("jobs")}:
        op.add_column("jobs", sa.Column("archived_from", sa.String(16), nullable=True))
    # Jobs archived before: their archive event says what they ended as, unless retention purged it.
    op.execute(_READ_BACK)


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("archived_from")
