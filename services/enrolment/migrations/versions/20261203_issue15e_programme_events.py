"""programme events: mobilisation events, alumni network meetings, buyer-supplier meetings,
with their invitations and attendance

Revision ID: 20261203_issue15e
Revises: 20261203_issue15
Create Date: 2026-12-03 16:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "20261203_issue15e"
down_revision: str | None = "20261203_issue15"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "programme_event",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("venue", sa.String(length=300), nullable=True),
        sa.Column("online", sa.Boolean(), nullable=False),
        sa.Column("organiser", sa.String(length=200), nullable=False),
        sa.Column("notes", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.Column("cancel_reason", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"], name=op.f("fk_programme_event_project_id_project")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_event")),
    )
    op.create_index(
        op.f("ix_programme_event_project_id"), "programme_event", ["project_id"], unique=False
    )
    op.create_table(
        "programme_event_invitation",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("enterprise_id", sa.Uuid(), nullable=False),
        sa.Column("people", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("invited_by", sa.String(length=200), nullable=False),
        sa.Column("invited_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_programme_event_invitation_enterprise_id_enterprise"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["programme_event.id"],
            name=op.f("fk_programme_event_invitation_event_id_programme_event"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_event_invitation")),
        sa.UniqueConstraint(
            "event_id",
            "enterprise_id",
            name=op.f("uq_programme_event_invitation_event_id_enterprise_id"),
        ),
    )
    op.create_index(
        op.f("ix_programme_event_invitation_enterprise_id"),
        "programme_event_invitation",
        ["enterprise_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_programme_event_invitation_event_id"),
        "programme_event_invitation",
        ["event_id"],
        unique=False,
    )
    op.create_table(
        "programme_event_attendee",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("enterprise_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("sex", sa.String(length=20), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_programme_event_attendee_enterprise_id_enterprise"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["programme_event.id"],
            name=op.f("fk_programme_event_attendee_event_id_programme_event"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_event_attendee")),
    )
    op.create_index(
        op.f("ix_programme_event_attendee_enterprise_id"),
        "programme_event_attendee",
        ["enterprise_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_programme_event_attendee_event_id"),
        "programme_event_attendee",
        ["event_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_table("programme_event_attendee")
    op.drop_table("programme_event_invitation")
    op.drop_table("programme_event")
