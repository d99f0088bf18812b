"""trainer certification evidence: quiz results per session, assignments, the ILO's override

Revision ID: 20261203_issue15c
Revises: 20261203_issue15f
Create Date: 2026-12-03 17:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261203_issue15c"
down_revision: str | None = "20261203_issue15f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "trainer_certification",
        sa.Column("override_reason", sa.String(length=1000), nullable=True),
    )
    op.add_column(
        "trainer_certification", sa.Column("overridden_by", sa.String(length=200), nullable=True)
    )
    op.create_table(
        "trainer_quiz_result",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("trainer_id", sa.Uuid(), nullable=False),
        sa.Column("module_id", sa.Uuid(), nullable=False),
        sa.Column("session_number", sa.SmallInteger(), nullable=False),
        sa.Column("score", sa.SmallInteger(), nullable=False),
        sa.Column("pass_mark", sa.SmallInteger(), nullable=False),
        sa.Column("taken_on", sa.Date(), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "score BETWEEN 0 AND 100", name=op.f("ck_trainer_quiz_result_score_percent")
        ),
        sa.CheckConstraint(
            "pass_mark BETWEEN 1 AND 100", name=op.f("ck_trainer_quiz_result_pass_mark_percent")
        ),
        sa.ForeignKeyConstraint(
            ["module_id"],
            ["training_module.id"],
            name=op.f("fk_trainer_quiz_result_module_id_training_module"),
        ),
        sa.ForeignKeyConstraint(
            ["trainer_id"],
            ["trainer.id"],
            name=op.f("fk_trainer_quiz_result_trainer_id_trainer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trainer_quiz_result")),
        sa.UniqueConstraint(
            "trainer_id",
            "module_id",
            "session_number",
            name=op.f("uq_trainer_quiz_result_trainer_id_module_id_session_number"),
        ),
    )
    op.create_index(
        op.f("ix_trainer_quiz_result_trainer_id"),
        "trainer_quiz_result",
        ["trainer_id"],
        unique=False,
    )
    op.create_table(
        "trainer_assignment",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("trainer_id", sa.Uuid(), nullable=False),
        sa.Column("module_id", sa.Uuid(), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.Column("storage_key", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("uploaded_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["module_id"],
            ["training_module.id"],
            name=op.f("fk_trainer_assignment_module_id_training_module"),
        ),
        sa.ForeignKeyConstraint(
            ["trainer_id"],
            ["trainer.id"],
            name=op.f("fk_trainer_assignment_trainer_id_trainer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trainer_assignment")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_trainer_assignment_storage_key")),
    )
    op.create_index(
        op.f("ix_trainer_assignment_trainer_id"), "trainer_assignment", ["trainer_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_trainer_assignment_trainer_id"), table_name="trainer_assignment")
    op.drop_table("trainer_assignment")
    op.drop_index(op.f("ix_trainer_quiz_result_trainer_id"), table_name="trainer_quiz_result")
    op.drop_table("trainer_quiz_result")
    op.drop_column("trainer_certification", "overridden_by")
    op.drop_column("trainer_certification", "override_reason")
