"""idempotency records keep a replayed answer as it was sent: json, not jsonb

jsonb stores an object's keys sorted (shortest first), so a retry got the first answer's
fields in another order: a GraphQL answer out of its selection's order.

Revision ID: 20261205_replay_in_order
Revises: 20261205_parts_totals
Create Date: 2026-12-05 22:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "20261205_replay_in_order"
down_revision: str | None = "20261205_parts_totals"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Answers recorded before keep the order jsonb gave them; new ones keep their own.
    op.alter_column(
        "idempotency_record",
        "response",
        type_=postgresql.JSON(),
        existing_nullable=False,
        postgresql_using="response::json",
    )


def downgrade() -> None:
    op.alter_column(
        "idempotency_record",
        "response",
        type_=postgresql.JSONB(astext_type=sa.Text()),
        existing_nullable=False,
        postgresql_using="response::jsonb",
    )
