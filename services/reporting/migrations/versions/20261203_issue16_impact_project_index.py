"""impact report: a project's pairs in one covering index; the unfiltered figures cached

Revision ID: 20261203_issue16_impact
Revises: 20261203_issue15e
Create Date: 2026-12-03 19:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "20261203_issue16_impact"
down_revision: str | None = "20261203_issue15e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As services.reporting.readmodels.models.PAIR_INCLUDED at this revision.
INCLUDED = [
    "indicator_code",
    "base",
    "end",
    "base_bool",
    "end_bool",
    "end_round_id",
    "currency",
    "change",
    "relative_change",
]


def upgrade() -> None:
    # Leads with project_id, so it serves every lookup the plain project index served.
    op.create_index(
        "ix_rm_pair_project",
        "rm_pair",
        ["project_id", "sex", "indicator_id", "enterprise_id"],
        postgresql_include=INCLUDED,
    )
    op.drop_index("ix_rm_pair_project_id", table_name="rm_pair")
    op.create_table(
        "pair_generation",
        sa.Column("indicator_code", sa.String(length=60), primary_key=True),
        sa.Column("generation", sa.BigInteger(), nullable=False),
    )
    # The indicators already paired start at generation 1; no figures are cached yet.
    op.execute(
        "INSERT INTO pair_generation (indicator_code, generation) "
        "SELECT DISTINCT indicator_code, 1 FROM rm_pair"
    )
    counts = ["n", "enterprises", "increased", "decreased", "adopted", "abandoned", "base_zero"]
    op.create_table(
        "impact_figures",
        sa.Column("indicator_code", sa.String(length=60), primary_key=True),
        sa.Column("generation", sa.BigInteger(), nullable=False),
        sa.Column("indicator_id", sa.Uuid(), nullable=True),
        *(sa.Column(name, sa.Integer(), nullable=True) for name in counts),
        sa.Column("quartiles", postgresql.ARRAY(sa.Float()), nullable=True),
        sa.Column("median_abs_change", sa.Float(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("yes_no_pairs", sa.Integer(), nullable=True),
        sa.Column("practised_before", sa.Integer(), nullable=True),
        sa.Column("practised_after", sa.Integer(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("impact_figures")
    op.drop_table("pair_generation")
    op.create_index("ix_rm_pair_project_id", "rm_pair", ["project_id"])
    op.drop_index("ix_rm_pair_project", table_name="rm_pair")
