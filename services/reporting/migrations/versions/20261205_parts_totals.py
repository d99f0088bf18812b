"""impact pairs: a count or amount recorded only as its parts has their sum as its total

Revision ID: 20261205_parts_totals
Revises: 20261205_certified_on
Create Date: 2026-12-05 22:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261205_parts_totals"
down_revision: str | None = "20261205_certified_on"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The stored total pairs made anew by the rule of
# services.reporting.impact.repository._latest_totals as it stands at this revision: per
# round slot the recorded validated total, else (counts and amounts) the sum of its
# validated sex parts (female and male present), or of its role parts (every role) for an
# indicator given by role only, in one currency; of each kind the latest round that has
# one, a recorded total first. From here on the projector keeps the table.
PAIRS = """
INSERT INTO rm_pair (id, enterprise_id, project_id, indicator_id, indicator_code, sex,
                     base, "end", base_bool, end_bool, end_round_id, currency,
                     change, relative_change)
SELECT md5(concat_ws('/', enterprise_id, project_id, indicator_id, ''))::uuid,
       enterprise_id, project_id, indicator_id, indicator_code, NULL,
       base, "end", base_bool, end_bool, end_round_id, base_currency,
       ("end" - base)::float8, (("end" - base) / abs(nullif(base, 0)) * 100)::float8
FROM (
    SELECT enterprise_id, project_id, indicator_id, indicator_code,
           max(value) FILTER (WHERE round_kind = 'baseline') AS base,
           max(value) FILTER (WHERE round_kind = 'endline') AS "end",
           bool_or(value_bool) FILTER (WHERE round_kind = 'baseline') AS base_bool,
           bool_or(value_bool) FILTER (WHERE round_kind = 'endline') AS end_bool,
           max(currency) FILTER (WHERE round_kind = 'baseline') AS base_currency,
           max(currency) FILTER (WHERE round_kind = 'endline') AS end_currency,
           (array_agg(round_id) FILTER (WHERE round_kind = 'endline'))[1] AS end_round_id
    FROM (
        SELECT DISTINCT ON (enterprise_id, project_id, indicator_id, indicator_code,
                            round_kind)
               enterprise_id, project_id, indicator_id, indicator_code, round_kind,
               round_id, value, value_bool, currency
        FROM (
            SELECT enterprise_id, project_id, indicator_id, indicator_code, round_kind,
                   round_id, round_sequence, value, value_bool, currency,
                   false AS from_parts
            FROM rm_value
            WHERE status = 'validated' AND round_kind IN ('baseline', 'endline')
              AND sex IS NULL AND role IS NULL
              AND (value IS NOT NULL OR value_bool IS NOT NULL)
{derived}        ) AS candidates
        ORDER BY enterprise_id, project_id, indicator_id, indicator_code, round_kind,
                 round_sequence DESC, from_parts
    ) AS latest
    GROUP BY enterprise_id, project_id, indicator_id, indicator_code
) AS sides
WHERE base_currency IS NOT DISTINCT FROM end_currency
  AND ((base IS NOT NULL AND "end" IS NOT NULL)
       OR (base_bool IS NOT NULL AND end_bool IS NOT NULL))
"""

# The candidates summed from parts (the rule this revision brings).
FROM_PARTS = """
            UNION ALL
            SELECT v.enterprise_id, v.project_id, v.indicator_id, v.indicator_code,
                   v.round_kind, v.round_id, v.round_sequence, sum(v.value), NULL,
                   max(v.currency), true
            FROM rm_value v
            JOIN rm_indicator i ON i.id = v.indicator_id
            WHERE i.kind IN ('count', 'amount') AND v.status = 'validated'
              AND v.round_kind IN ('baseline', 'endline') AND v.value IS NOT NULL
              AND ((v.sex IS NOT NULL AND v.role IS NULL
                    AND i.disaggregations @> ARRAY['sex']::varchar[])
                   OR (v.role IS NOT NULL AND v.sex IS NULL
                       AND i.disaggregations = ARRAY['role']::varchar[]))
            GROUP BY v.enterprise_id, v.project_id, v.indicator_id, v.indicator_code,
                     v.round_kind, v.round_id, v.round_sequence
            HAVING ((bool_or(v.sex = 'female') AND bool_or(v.sex = 'male'))
                    OR (bool_or(v.role = 'manager') AND bool_or(v.role = 'worker')))
               AND min(coalesce(v.currency, '')) = max(coalesce(v.currency, ''))
"""


def upgrade() -> None:
    _pair_totals_anew(PAIRS.format(derived=FROM_PARTS))


def downgrade() -> None:
    _pair_totals_anew(PAIRS.format(derived=""))


def _pair_totals_anew(pairs: str) -> None:
    op.execute(sa.text("DELETE FROM rm_pair WHERE sex IS NULL"))
    op.execute(sa.text(pairs))
    # Every indicator's cached figures were computed from the pairs replaced.
    op.execute(sa.text("UPDATE pair_generation SET generation = generation + 1"))
    op.execute(sa.text("DELETE FROM impact_figures"))
