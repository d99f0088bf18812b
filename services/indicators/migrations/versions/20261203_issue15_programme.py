"""the rest of the programme: sex categories beyond two values, suggestion register, improvement plans

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
    ("improvement_team_member", False),
    ("satisfaction_response", False),
    ("indicator_value", True),
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
        "suggestion",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("enterprise_id", sa.Uuid(), nullable=False),
        sa.Column("submitted_on", sa.Date(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("sex", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("reward_paid", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("savings", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("improvement_project_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["improvement_project_id"],
            ["improvement_project.id"],
            name=op.f("fk_suggestion_improvement_project_id_improvement_project"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suggestion")),
    )
    op.create_index(
        op.f("ix_suggestion_enterprise_id"), "suggestion", ["enterprise_id"], unique=False
    )

    op.create_table(
        "improvement_plan",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("enterprise_id", sa.Uuid(), nullable=False),
        sa.Column("module_code", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("agreed_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_improvement_plan")),
    )
    op.create_index(
        op.f("ix_improvement_plan_enterprise_id"),
        "improvement_plan",
        ["enterprise_id"],
        unique=False,
    )
    op.create_table(
        "improvement_plan_action",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("objective", sa.String(length=300), nullable=False),
        sa.Column("action", sa.String(length=500), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("improvement_project_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["improvement_project_id"],
            ["improvement_project.id"],
            name=op.f("fk_improvement_plan_action_improvement_project_id_improvement_project"),
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["improvement_plan.id"],
            name=op.f("fk_improvement_plan_action_plan_id_improvement_plan"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_improvement_plan_action")),
    )
    op.create_index(
        op.f("ix_improvement_plan_action_plan_id"),
        "improvement_plan_action",
        ["plan_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_improvement_plan_action_plan_id"), table_name="improvement_plan_action")
    op.drop_table("improvement_plan_action")
    op.drop_index(op.f("ix_improvement_plan_enterprise_id"), table_name="improvement_plan")
    op.drop_table("improvement_plan")
    op.drop_index(op.f("ix_suggestion_enterprise_id"), table_name="suggestion")
    op.drop_table("suggestion")
    for table, nullable in SEX_COLUMNS:
        op.alter_column(
            table,
            "sex",
            existing_type=sa.String(length=20),
            type_=sa.String(length=10),
            existing_nullable=nullable,
        )
