"""Reporting's own records, entered through its API rather than derived from events:
logframe targets and the training costs behind cost recovery."""

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from sqlalchemy import Index, Numeric, String
from sqlmodel import Field

from services.reporting.db import Table
from shared.columns import created_at_field, timestamp_field
from shared.ids import new_id


class Target(Table, table=True):
    """A logframe target: what a project promised for one metric, country and period."""

    __tablename__ = "target"
    __table_args__ = (
        Index(
            "uq_target_scope",
            "project_id",
            "country",
            "metric",
            "period_start",
            "period_end",
            unique=True,
            postgresql_nulls_not_distinct=True,
        ),
    )

    id: UUID = Field(default_factory=new_id, primary_key=True)
    project_id: UUID = Field(index=True)
    country: str | None = Field(default=None, sa_type=String(2))
    # A reach metric ("enterprises_trained", ...) or "impact:<indicator code>".
    metric: str = Field(sa_type=String(80))
    period_start: date
    period_end: date
    target_value: Decimal = Field(sa_type=Numeric)
    notes: str | None = Field(default=None, sa_type=String(2000))
    created_by: str = Field(sa_type=String(200))
    created_at: datetime = created_at_field()
    updated_at: datetime | None = timestamp_field()


class TrainingCost(Table, table=True):
    """Cost of delivering training and who paid it: the base of cost recovery."""

    __tablename__ = "training_cost"

    id: UUID = Field(default_factory=new_id, primary_key=True)
    project_id: UUID = Field(index=True)
    cohort_id: UUID | None = Field(default=None, index=True)
    period_start: date
    period_end: date
    currency: str = Field(sa_type=String(3))
    total_cost: Decimal = Field(sa_type=Numeric)
    # Paid by enterprises' fees, buyers, governments: anything but the ILO.
    non_ilo_contribution: Decimal = Field(sa_type=Numeric)
    created_by: str = Field(sa_type=String(200))
    created_at: datetime = created_at_field()
