"""the rest of the programme: cohort rules and overrides, call questions

Revision ID: 20261203_issue15
Revises: 0002
Create Date: 2026-12-03 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "20261203_issue15"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("cohort", sa.Column("lead_trainer_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        op.f("fk_cohort_lead_trainer_id_trainer"), "cohort", "trainer", ["lead_trainer_id"], ["id"]
    )
    op.add_column(
        "cohort",
        sa.Column(
            "overrides",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="[]",
            nullable=False,
        ),
    )
    # Existing cohorts: their first trainer (by id, as listed) leads.
    op.execute(
        "UPDATE cohort SET lead_trainer_id = ("
        "SELECT min(trainer_id::text)::uuid FROM cohort_trainer "
        "WHERE cohort_trainer.cohort_id = cohort.id)"
    )

    op.add_column(
        "criteria_version",
        sa.Column(
            "questions",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="[]",
            nullable=False,
        ),
    )


def downgrade() -> None:
    op.drop_column("criteria_version", "questions")
    op.drop_column("cohort", "overrides")
    op.drop_constraint(op.f("fk_cohort_lead_trainer_id_trainer"), "cohort", type_="foreignkey")
    op.drop_column("cohort", "lead_trainer_id")
