"""programme events and who attended them, as enrolment's events tell them

Revision ID: 20261203_issue15e
Revises: 20261203_issue13
Create Date: 2026-12-03 16:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261203_issue15e"
down_revision: str | None = "20261203_issue13"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rm_programme_event",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rm_programme_event")),
    )
    op.create_index(op.f("ix_rm_programme_event_project_id"), "rm_programme_event", ["project_id"])
    op.create_table(
        "rm_event_attendee",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("enterprise_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("sex", sa.String(length=20), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rm_event_attendee")),
    )
    op.create_index(op.f("ix_rm_event_attendee_event_id"), "rm_event_attendee", ["event_id"])
    op.create_index(
        op.f("ix_rm_event_attendee_enterprise_id"), "rm_event_attendee", ["enterprise_id"]
    )


def downgrade() -> None:
    op.drop_table("rm_event_attendee")
    op.drop_table("rm_programme_event")
