"""standard SCORE module catalogue

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22

The catalogue is data (ILO staff can add and retire modules through the API); this puts
the standard modules in every new database. The rows are frozen here on purpose: later
catalogue changes are made through the API or a new migration, not by editing this one.
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from shared.ids import new_id

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STANDARD_MODULES = [
    {
        "code": "workplace_cooperation",
        "name": "Module 1: Workplace Cooperation",
        "level": 1,
        "classroom_days": 2,
        "active": True,
        "replaced_by_code": None,
    },
    {
        "code": "quality_management",
        "name": "Module 2: Quality Management",
        "level": 2,
        "classroom_days": 2,
        "active": True,
        "replaced_by_code": None,
    },
    {
        "code": "clean_production",
        "name": "Module 3: Clean Production",
        "level": 2,
        "classroom_days": 2,
        "active": False,
        "replaced_by_code": "score4climate",
    },
    {
        "code": "score4climate",
        "name": "SCORE4Climate",
        "level": 2,
        "classroom_days": 2,
        "active": True,
        "replaced_by_code": None,
    },
    {
        "code": "workforce_management",
        "name": "Module 4: Workforce / Human Resource Management",
        "level": 2,
        "classroom_days": 2,
        "active": True,
        "replaced_by_code": None,
    },
    {
        "code": "osh",
        "name": "Module 5: Occupational Safety and Health",
        "level": 2,
        "classroom_days": 2,
        "active": True,
        "replaced_by_code": None,
    },
    {
        "code": "score_basics",
        "name": "SCORE Basics",
        "level": 1,
        "classroom_days": 1,
        "active": True,
        "replaced_by_code": None,
    },
    {
        "code": "gender_equality",
        "name": "Gender Equality",
        "level": 2,
        "classroom_days": 2,
        "active": True,
        "replaced_by_code": None,
    },
    {
        "code": "hospitality_coaching",
        "name": "Hospitality Coaching (HoCo)",
        "level": 2,
        "classroom_days": 2,
        "active": True,
        "replaced_by_code": None,
    },
    {
        "code": "responsible_business",
        "name": "Responsible Business",
        "level": 2,
        "classroom_days": 2,
        "active": True,
        "replaced_by_code": None,
    },
    {
        "code": "lean",
        "name": "Lean",
        "level": 2,
        "classroom_days": 2,
        "active": True,
        "replaced_by_code": None,
    },
    {
        "code": "working_time",
        "name": "Working Time",
        "level": 2,
        "classroom_days": 2,
        "active": True,
        "replaced_by_code": None,
    },
]


def upgrade() -> None:
    module = sa.table(
        "training_module",
        sa.column("id", sa.Uuid),
        sa.column("code", sa.String),
        sa.column("name", sa.String),
        sa.column("level", sa.Integer),
        sa.column("classroom_days", sa.Integer),
        sa.column("active", sa.Boolean),
        sa.column("replaced_by_code", sa.String),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    now = datetime.now(UTC)
    op.bulk_insert(module, [{"id": new_id(), "created_at": now, **row} for row in STANDARD_MODULES])


def downgrade() -> None:
    codes = [row["code"] for row in STANDARD_MODULES]
    op.execute(
        sa.text("DELETE FROM training_module WHERE code = ANY(:codes)").bindparams(codes=codes)
    )
