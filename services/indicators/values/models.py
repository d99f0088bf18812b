"""Captured indicator values: rounds, values with their review workflow and versions."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import Index, Numeric, String, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Column, Field

from services.indicators.db import Table, created_at_field, timestamp_field
from shared.ids import new_id


class MeasurementRound(Table, table=True):
    """A project's baseline, endline or n-th follow-up, with the dates it covers."""

    __tablename__ = "measurement_round"
    __table_args__ = (UniqueConstraint("project_id", "kind", "sequence"),)

    id: UUID = Field(default_factory=new_id, primary_key=True)
    project_id: UUID = Field(index=True)
    kind: str = Field(sa_type=String(20))  # baseline | endline | follow_up
    sequence: int = 1
    name: str = Field(sa_type=String(200))
    starts_on: date
    ends_on: date
    created_at: datetime = created_at_field()


class IndicatorValue(Table, table=True):
    """One version of one value. Corrections add a version; the old one stays as history."""

    __tablename__ = "indicator_value"
    __table_args__ = (
        # One current version per slot (enterprise, indicator, period, disaggregation).
        Index(
            "uq_indicator_value_current_slot",
            "slot",
            unique=True,
            postgresql_where=text("is_current"),
        ),
    )

    id: UUID = Field(default_factory=new_id, primary_key=True)
    slot: str = Field(sa_type=String(200), index=True)
    enterprise_id: UUID = Field(index=True)
    project_id: UUID = Field(index=True)
    indicator_id: UUID = Field(foreign_key="indicator.id", index=True)
    indicator_version: int
    round_id: UUID | None = Field(default=None, foreign_key="measurement_round.id", index=True)
    month: date | None = None  # first day of the month, for monthly values
    sex: str | None = Field(default=None, sa_type=String(10))  # null: all (the total)
    role: str | None = Field(default=None, sa_type=String(10))  # null: all roles
    value: Decimal | None = Field(default=None, sa_type=Numeric)
    value_bool: bool | None = None
    currency: str | None = Field(default=None, sa_type=String(3))
    # The enterer's remark on this value (source, estimate, ...), kept with its version.
    note: str | None = Field(default=None, sa_type=String(2000))
    # draft -> submitted -> validated (locked) | returned (with a reason)
    status: str = Field(sa_type=String(20), index=True)
    version: int = 1
    is_current: bool = True
    supersedes_id: UUID | None = Field(default=None, foreign_key="indicator_value.id", index=True)
    correction_reason: str | None = None
    return_reason: str | None = None
    outlier_flags: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSONB, nullable=False)
    )
    batch_id: UUID | None = Field(default=None, index=True)
    entered_by: str = Field(sa_type=String(200))
    entered_at: datetime = created_at_field()
    submitted_at: datetime | None = timestamp_field()
    reviewed_by: str | None = Field(default=None, sa_type=String(200))
    reviewed_at: datetime | None = timestamp_field()
