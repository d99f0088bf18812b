"""figures the ILO can publish: derived values, value versions, review policy, dated ratings

Revision ID: 20261203_issue12
Revises: 20261203_issue11
Create Date: 2026-12-03 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "20261203_issue12"
down_revision: str | None = "20261203_issue11"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "indicator_value",
        sa.Column("derived", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.add_column(
        "indicator_value",
        sa.Column("lineage", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    )
    op.add_column(
        "indicator_value",
        sa.Column("change_reason", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    )
    op.create_table(
        "indicator_value_version",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("value_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("value", sa.Numeric(), nullable=True),
        sa.Column("value_bool", sa.Boolean(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("note", sa.String(length=2000), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("entered_by", sa.String(length=200), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["value_id"],
            ["indicator_value.id"],
            name=op.f("fk_indicator_value_version_value_id_indicator_value"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_value_version")),
    )
    op.create_index(
        op.f("ix_indicator_value_version_value_id"),
        "indicator_value_version",
        ["value_id"],
        unique=False,
    )
    op.create_table(
        "review_policy",
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("four_eyes", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=2000), nullable=False),
        sa.Column("changed_by", sa.String(length=200), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("project_id", name=op.f("pk_review_policy")),
    )
    # The project replica (issue 11's revision) also keeps each project's name and period;
    # that revision rewinds the replica consumer, so the replay fills them in.
    op.add_column(
        "replica_project",
        sa.Column("name", sa.String(length=200), server_default="", nullable=False),
    )
    op.alter_column("replica_project", "name", server_default=None)
    op.add_column("replica_project", sa.Column("start_date", sa.Date(), nullable=True))
    op.add_column("replica_project", sa.Column("end_date", sa.Date(), nullable=True))
    # Ratings recorded before this revision were given, as far as anyone knows, the day
    # they were recorded.
    op.add_column("satisfaction_response", sa.Column("rated_on", sa.Date(), nullable=True))
    op.execute("UPDATE satisfaction_response SET rated_on = submitted_at::date")
    op.alter_column("satisfaction_response", "rated_on", nullable=False)


def downgrade() -> None:
    op.drop_column("satisfaction_response", "rated_on")
    op.drop_column("replica_project", "end_date")
    op.drop_column("replica_project", "start_date")
    op.drop_column("replica_project", "name")
    op.drop_table("review_policy")
    op.drop_index(op.f("ix_indicator_value_version_value_id"), table_name="indicator_value_version")
    op.drop_table("indicator_value_version")
    op.drop_column("indicator_value", "change_reason")
    op.drop_column("indicator_value", "lineage")
    op.drop_column("indicator_value", "derived")
