"""replica of projects and their partners; the enrolment replica is rebuilt to fill it

Revision ID: 20261203_issue11
Revises: 0001
Create Date: 2026-12-03

Who may plan a project's rounds and read them is decided by the project's partners, which
the replica did not hold. Its events are already in enrolment's feed: the replica consumer's
cursor is reset so it replays the feed from the start (every handler is an idempotent
upsert, so the other replica tables end as they were).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "20261203_issue11"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REPLICA_CONSUMER = "indicators.enrolment-replica"


def upgrade() -> None:
    op.create_table(
        "replica_project",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("partner_ids", postgresql.ARRAY(sa.Uuid()), nullable=False),
        sa.Column("funder_ids", postgresql.ARRAY(sa.Uuid()), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_replica_project")),
    )
    op.execute(
        sa.text("DELETE FROM consumer_cursor WHERE consumer = :name").bindparams(
            name=REPLICA_CONSUMER
        )
    )


def downgrade() -> None:
    op.drop_table("replica_project")
