"""business cases of improvement projects, with before/after photos kept in the file store

Revision ID: 20261203_issue15f
Revises: 20261203_issue15
Create Date: 2026-12-03 17:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261203_issue15f"
down_revision: str | None = "20261203_issue15"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "business_case",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("enterprise_id", sa.Uuid(), nullable=False),
        sa.Column("improvement_project_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("problem", sa.Text(), nullable=False),
        sa.Column("action_taken", sa.Text(), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("savings", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["improvement_project_id"],
            ["improvement_project.id"],
            name=op.f("fk_business_case_improvement_project_id_improvement_project"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_business_case")),
    )
    op.create_index(
        op.f("ix_business_case_enterprise_id"), "business_case", ["enterprise_id"], unique=False
    )
    op.create_index(
        op.f("ix_business_case_improvement_project_id"),
        "business_case",
        ["improvement_project_id"],
        unique=False,
    )
    op.create_table(
        "business_case_photo",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("business_case_id", sa.Uuid(), nullable=False),
        sa.Column("stage", sa.String(length=10), nullable=False),
        sa.Column("caption", sa.String(length=300), nullable=False),
        sa.Column("storage_key", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["business_case_id"],
            ["business_case.id"],
            name=op.f("fk_business_case_photo_business_case_id_business_case"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_business_case_photo")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_business_case_photo_storage_key")),
    )
    op.create_index(
        op.f("ix_business_case_photo_business_case_id"),
        "business_case_photo",
        ["business_case_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_business_case_photo_business_case_id"), table_name="business_case_photo")
    op.drop_table("business_case_photo")
    op.drop_index(op.f("ix_business_case_improvement_project_id"), table_name="business_case")
    op.drop_index(op.f("ix_business_case_enterprise_id"), table_name="business_case")
    op.drop_table("business_case")
