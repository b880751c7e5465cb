"""Agent jobs' own model, limits and MCP tools: jobs.model, max_turns, system_prompt, agent_tools.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A database adopted by the baseline may have been made by create_all with these already. Adding
    # nullable (or defaulted) columns needs no table rebuild on SQLite.
    have = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("jobs")}
    for column in (sa.Column("model", sa.String(100), nullable=True),
                   sa.Column("max_turns", sa.Integer(), nullable=True),
                   sa.Column("system_prompt", sa.Text(), nullable=True),
                   sa.Column("agent_tools", sa.JSON(), nullable=False, server_default="[]")):
        if column.name not in have:
            op.add_column("jobs", column)


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        for column in ("agent_tools", "system_prompt", "max_turns", "model"):
            batch.drop_column(column)
