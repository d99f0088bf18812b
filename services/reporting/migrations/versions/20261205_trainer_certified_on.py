"""trainer certifications: the day each was awarded, as enrolment records it

Revision ID: 20261205_certified_on
Revises: 20261203_issue16_impact
Create Date: 2026-12-05 21:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261205_certified_on"
down_revision: str | None = "20261203_issue16_impact"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("rm_trainer_certification", sa.Column("certified_on", sa.Date(), nullable=True))


def downgrade() -> None:
    op.drop_column("rm_trainer_certification", "certified_on")
