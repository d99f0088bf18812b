"""the rest of the programme: sex categories beyond two values, suggestions and improvement plans read models

Revision ID: 20261203_issue15
Revises: 20261203_issue12
Create Date: 2026-12-03 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261203_issue15"
down_revision: str | None = "20261203_issue12"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# "not_disclosed" does not fit the 10 characters "female" and "male" were given.
SEX_COLUMNS = (
    ("rm_participant", False),
    ("rm_trainer_certification", False),
    ("rm_satisfaction", False),
    ("rm_value", True),
)


def upgrade() -> None:
    for table, nullable in SEX_COLUMNS:
        op.alter_column(
            table,
            "sex",
            existing_type=sa.String(length=10),
            type_=sa.String(length=20),
            existing_nullable=nullable,
        )

    op.create_table(
        "rm_suggestion",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("enterprise_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("sex", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("submitted_on", sa.Date(), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("reward_paid", sa.Numeric(), nullable=True),
        sa.Column("savings", sa.Numeric(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rm_suggestion")),
    )
    op.create_index(
        op.f("ix_rm_suggestion_enterprise_id"), "rm_suggestion", ["enterprise_id"], unique=False
    )

    op.create_table(
        "rm_improvement_plan",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("enterprise_id", sa.Uuid(), nullable=False),
        sa.Column("module_code", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("agreed_on", sa.Date(), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("actions", sa.Integer(), nullable=False),
        sa.Column("actions_done", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rm_improvement_plan")),
    )
    op.create_index(
        op.f("ix_rm_improvement_plan_enterprise_id"),
        "rm_improvement_plan",
        ["enterprise_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_rm_improvement_plan_enterprise_id"), table_name="rm_improvement_plan")
    op.drop_table("rm_improvement_plan")
    op.drop_index(op.f("ix_rm_suggestion_enterprise_id"), table_name="rm_suggestion")
    op.drop_table("rm_suggestion")
    for table, nullable in SEX_COLUMNS:
        op.alter_column(
            table,
            "sex",
            existing_type=sa.String(length=20),
            type_=sa.String(length=10),
            existing_nullable=nullable,
        )
