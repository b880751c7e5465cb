"""Notification channels and owner settings: jobs.channels and jobs.urgent, deliveries.target (a channel
delivery's Apprise URL) and the owner_settings table.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A database adopted by the baseline may have been made by create_all with these already.
    inspector = sa.inspect(op.get_bind())
    have = {table: {c["name"] for c in inspector.get_columns(table)} for table in ("jobs", "deliveries")}
    if "channels" not in have["jobs"]:
        op.add_column("jobs", sa.Column("channels", sa.JSON(), nullable=False, server_default="[]"))
    if "urgent" not in have["jobs"]:
        op.add_column("jobs", sa.Column("urgent", sa.Boolean(), nullable=False, server_default=sa.false()))
    if "target" not in have["deliveries"]:
        op.add_column("deliveries", sa.Column("target", sa.Text(), nullable=True))
    if "owner_settings" in inspector.get_table_names():
        return
    op.create_table(
        "owner_settings",
        sa.Column("owner", sa.String(200), primary_key=True),
        sa.Column("timezone", sa.String(64), nullable=True),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("quiet_hours", sa.String(11), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("owner_settings")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("target")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("urgent")
        batch.drop_column("channels")
