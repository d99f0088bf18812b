"""the rest of the programme: sex categories beyond two values

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


def downgrade() -> None:
    for table, nullable in SEX_COLUMNS:
        op.alter_column(
            table,
            "sex",
            existing_type=sa.String(length=20),
            type_=sa.String(length=10),
            existing_nullable=nullable,
        )
