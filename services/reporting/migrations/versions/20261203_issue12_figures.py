"""figures the ILO can publish: pending corrections beside the counted version, rating dates

Revision ID: 20261203_issue12
Revises: 0001
Create Date: 2026-12-03 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "20261203_issue12"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("rm_value", sa.Column("pending_value_id", sa.Uuid(), nullable=True))
    op.add_column("rm_value", sa.Column("pending_status", sa.String(length=20), nullable=True))
    op.add_column("rm_value", sa.Column("derived", sa.Boolean(), nullable=True))
    op.add_column("rm_satisfaction", sa.Column("rated_on", sa.Date(), nullable=True))
    op.add_column(
        "rm_indicator",
        sa.Column(
            "disaggregations",
            postgresql.ARRAY(sa.String(length=10)),
            server_default="{}",
            nullable=False,
        ),
    )


def downgrade() -> None:
    op.drop_column("rm_indicator", "disaggregations")
    op.drop_column("rm_satisfaction", "rated_on")
    op.drop_column("rm_value", "derived")
    op.drop_column("rm_value", "pending_status")
    op.drop_column("rm_value", "pending_value_id")
