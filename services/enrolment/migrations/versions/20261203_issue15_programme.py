"""the rest of the programme: cohort rules and overrides, call questions, assessments,
commitment meetings, order status

Revision ID: 20261203_issue15
Revises: 0002
Create Date: 2026-12-03 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
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

    op.create_table(
        "assessment",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("enrolment_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("assessed_on", sa.Date(), nullable=False),
        sa.Column("assessor", sa.String(length=200), nullable=False),
        sa.Column("assessor_trainer_id", sa.Uuid(), nullable=True),
        sa.Column("findings", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "priority_modules",
            postgresql.ARRAY(sa.String(length=40)),
            server_default="{}",
            nullable=False,
        ),
        sa.Column("notes", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessor_trainer_id"],
            ["trainer.id"],
            name=op.f("fk_assessment_assessor_trainer_id_trainer"),
        ),
        sa.ForeignKeyConstraint(
            ["enrolment_id"],
            ["enrolment.id"],
            name=op.f("fk_assessment_enrolment_id_enrolment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment")),
    )
    op.create_index(
        op.f("ix_assessment_enrolment_id"), "assessment", ["enrolment_id"], unique=False
    )

    op.create_table(
        "commitment_meeting",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("attendees", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("commitment", sa.String(length=40), nullable=False),
        sa.Column("nominee_name", sa.String(length=200), nullable=True),
        sa.Column("nominee_position", sa.String(length=200), nullable=True),
        sa.Column("nominee_decision_authority", sa.Boolean(), nullable=True),
        sa.Column("notes", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["application.id"],
            name=op.f("fk_commitment_meeting_application_id_application"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commitment_meeting")),
    )
    op.create_index(
        op.f("ix_commitment_meeting_application_id"),
        "commitment_meeting",
        ["application_id"],
        unique=False,
    )

    op.create_table(
        "order_month",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("enterprise_id", sa.Uuid(), nullable=False),
        sa.Column("buyer_id", sa.Uuid(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("confirmed", sa.Integer(), nullable=False),
        sa.Column("pipeline", sa.Integer(), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["buyer_id"], ["organisation.id"], name=op.f("fk_order_month_buyer_id_organisation")
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_order_month_enterprise_id_enterprise"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_month")),
        sa.UniqueConstraint(
            "enterprise_id",
            "buyer_id",
            "month",
            name=op.f("uq_order_month_enterprise_id_buyer_id_month"),
        ),
    )
    op.create_index(op.f("ix_order_month_buyer_id"), "order_month", ["buyer_id"], unique=False)
    op.create_index(
        op.f("ix_order_month_enterprise_id"), "order_month", ["enterprise_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_order_month_enterprise_id"), table_name="order_month")
    op.drop_index(op.f("ix_order_month_buyer_id"), table_name="order_month")
    op.drop_table("order_month")
    op.drop_index(op.f("ix_commitment_meeting_application_id"), table_name="commitment_meeting")
    op.drop_table("commitment_meeting")
    op.drop_index(op.f("ix_assessment_enrolment_id"), table_name="assessment")
    op.drop_table("assessment")
    op.drop_column("criteria_version", "questions")
    op.drop_column("cohort", "overrides")
    op.drop_constraint(op.f("fk_cohort_lead_trainer_id_trainer"), "cohort", type_="foreignkey")
    op.drop_column("cohort", "lead_trainer_id")
