"""llm_spend: LLM spend outside runs (chat observation, schedule readings), counted by the daily quota.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "llm_spend",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("usd", sa.Float(), nullable=False),
        sa.Column("purpose", sa.String(40), nullable=False),
    )
    op.create_index("ix_llm_spend_owner_at", "llm_spend", ["owner", "at"])


def downgrade() -> None:
    op.drop_index("ix_llm_spend_owner_at", table_name="llm_spend")
    op.drop_table("llm_spend")
