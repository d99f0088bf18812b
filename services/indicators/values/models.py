"""Captured indicator values with their review workflow and versions."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import Index, Numeric, String, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Column, Field

from services.indicators.db import Table
from shared.columns import created_at_field, timestamp_field
from shared.ids import new_id


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
    # draft -> submitted -> validated (locked) | returned (with a reason); validated ->
    # withdrawn (a reviewer takes the figure back). Derived values: validated | not_computable.
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
    # Computed from its formula's inputs (never entered, never edited by hand); ``lineage``
    # names the input value ids and versions and the formula version it was computed by,
    # or why no value could be computed.
    derived: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})
    lineage: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB, nullable=True))
    # Why this version was made when it is not a correction (a draft re-sent or edited).
    change_reason: str | None = None
    entered_by: str = Field(sa_type=String(200))
    entered_at: datetime = created_at_field()
    submitted_at: datetime | None = timestamp_field()
    reviewed_by: str | None = Field(default=None, sa_type=String(200))
    reviewed_at: datetime | None = timestamp_field()


class IndicatorValueVersion(Table, table=True):
    """A superseded state of a draft or returned value that was changed in place.

    Validated values are never changed in place (a correction is a new row), but drafts
    and returned values are edited where they stand; each edit first copies the state it
    replaces here, so every figure a value ever had stays in its history.
    """

    __tablename__ = "indicator_value_version"

    id: UUID = Field(default_factory=new_id, primary_key=True)
    value_id: UUID = Field(foreign_key="indicator_value.id", index=True)
    version: int
    status: str = Field(sa_type=String(20))
    value: Decimal | None = Field(default=None, sa_type=Numeric)
    value_bool: bool | None = None
    currency: str | None = Field(default=None, sa_type=String(3))
    note: str | None = Field(default=None, sa_type=String(2000))
    reason: str | None = None
    entered_by: str = Field(sa_type=String(200))
    entered_at: datetime = timestamp_field(nullable=False)
    replaced_at: datetime = created_at_field()
