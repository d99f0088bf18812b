"""training materials per module and language, with versions kept in the file store

Revision ID: 20261203_issue15f
Revises: 20261203_issue15e
Create Date: 2026-12-03 17:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261203_issue15f"
down_revision: str | None = "20261203_issue15e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "training_material",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("module_id", sa.Uuid(), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["module_id"],
            ["training_module.id"],
            name=op.f("fk_training_material_module_id_training_module"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_material")),
        sa.UniqueConstraint(
            "module_id",
            "language",
            "title",
            name=op.f("uq_training_material_module_id_language_title"),
        ),
    )
    op.create_index(
        op.f("ix_training_material_module_id"), "training_material", ["module_id"], unique=False
    )
    op.create_table(
        "training_material_version",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("material_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.Column("storage_key", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("uploaded_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["material_id"],
            ["training_material.id"],
            name=op.f("fk_training_material_version_material_id_training_material"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_material_version")),
        sa.UniqueConstraint(
            "material_id", "version", name=op.f("uq_training_material_version_material_id_version")
        ),
        sa.UniqueConstraint("storage_key", name=op.f("uq_training_material_version_storage_key")),
    )
    op.create_index(
        op.f("ix_training_material_version_material_id"),
        "training_material_version",
        ["material_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_training_material_version_material_id"), table_name="training_material_version"
    )
    op.drop_table("training_material_version")
    op.drop_index(op.f("ix_training_material_module_id"), table_name="training_material")
    op.drop_table("training_material")
