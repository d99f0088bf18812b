"""matched pairs kept as a read model, so the impact report reads pairs instead of pairing

Revision ID: 20261203_issue16
Revises: 20261203_issue15
Create Date: 2026-12-03 14:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261203_issue16"
down_revision: str | None = "20261203_issue15"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The pairs of the values already projected, totals and sex parts in one pass: per slot
# series the latest validated baseline and endline, side by side, where both are present
# and in one currency (the rule of services.reporting.impact.repository.paired_values, as it
# stands at this revision; from here on the projector keeps the table).
BACKFILL = """
INSERT INTO rm_pair (id, enterprise_id, project_id, indicator_id, indicator_code, sex,
                     base, "end", base_bool, end_bool, end_round_id, currency,
                     change, relative_change)
SELECT md5(concat_ws('/', enterprise_id, project_id, indicator_id, coalesce(sex, '')))::uuid,
       enterprise_id, project_id, indicator_id, indicator_code, sex,
       base, "end", base_bool, end_bool, end_round_id, base_currency,
       ("end" - base)::float8, (("end" - base) / abs(nullif(base, 0)) * 100)::float8
FROM (
    SELECT enterprise_id, project_id, indicator_id, indicator_code, sex,
           max(value) FILTER (WHERE round_kind = 'baseline') AS base,
           max(value) FILTER (WHERE round_kind = 'endline') AS "end",
           bool_or(value_bool) FILTER (WHERE round_kind = 'baseline') AS base_bool,
           bool_or(value_bool) FILTER (WHERE round_kind = 'endline') AS end_bool,
           max(currency) FILTER (WHERE round_kind = 'baseline') AS base_currency,
           max(currency) FILTER (WHERE round_kind = 'endline') AS end_currency,
           (array_agg(round_id) FILTER (WHERE round_kind = 'endline'))[1] AS end_round_id
    FROM (
        SELECT DISTINCT ON (enterprise_id, project_id, indicator_id, indicator_code, sex,
                            round_kind)
               enterprise_id, project_id, indicator_id, indicator_code, sex, round_kind,
               round_id, value, value_bool, currency
        FROM rm_value
        WHERE status = 'validated' AND round_kind IN ('baseline', 'endline')
          AND role IS NULL AND (value IS NOT NULL OR value_bool IS NOT NULL)
        ORDER BY enterprise_id, project_id, indicator_id, indicator_code, sex, round_kind,
                 round_sequence DESC
    ) AS latest
    GROUP BY enterprise_id, project_id, indicator_id, indicator_code, sex
) AS sides
WHERE base_currency IS NOT DISTINCT FROM end_currency
  AND ((base IS NOT NULL AND "end" IS NOT NULL)
       OR (base_bool IS NOT NULL AND end_bool IS NOT NULL))
"""


def upgrade() -> None:
    op.create_table(
        "rm_pair",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("enterprise_id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("indicator_id", sa.Uuid(), nullable=False),
        sa.Column("indicator_code", sa.String(length=60), nullable=False),
        sa.Column("sex", sa.String(length=20), nullable=True),
        sa.Column("base", sa.Numeric(), nullable=True),
        sa.Column("end", sa.Numeric(), nullable=True),
        sa.Column("base_bool", sa.Boolean(), nullable=True),
        sa.Column("end_bool", sa.Boolean(), nullable=True),
        sa.Column("end_round_id", sa.Uuid(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("change", sa.Float(), nullable=True),
        sa.Column("relative_change", sa.Float(), nullable=True),
    )
    op.create_index(
        "uq_rm_pair",
        "rm_pair",
        ["enterprise_id", "project_id", "indicator_id", "sex"],
        unique=True,
        postgresql_nulls_not_distinct=True,
    )
    op.create_index("ix_rm_pair_indicator", "rm_pair", ["indicator_code", "sex"])
    op.create_index(op.f("ix_rm_pair_project_id"), "rm_pair", ["project_id"])
    op.execute(sa.text(BACKFILL))


def downgrade() -> None:
    op.drop_table("rm_pair")
