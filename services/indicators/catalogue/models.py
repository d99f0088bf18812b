"""The indicator catalogue: definitions as data, every change kept as a version."""

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import ARRAY, Numeric, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Column, Field

from services.indicators.db import Table
from shared.columns import created_at_field, timestamp_field
from shared.ids import new_id


class Indicator(Table, table=True):
    __tablename__ = "indicator"

    id: UUID = Field(default_factory=new_id, primary_key=True)
    code: str = Field(sa_type=String(60), unique=True)
    version: int = 1
    name_en: str = Field(sa_type=String(200))
    name_fr: str = Field(sa_type=String(200))
    name_es: str = Field(sa_type=String(200))
    # yes_no | count | rate | percentage | amount | duration
    kind: str = Field(sa_type=String(20))
    unit: str = Field(sa_type=String(40))
    # "up" or "down": which way is better (defect rate: down; productivity: up)
    direction: str = Field(sa_type=String(4))
    min_value: Decimal | None = Field(default=None, sa_type=Numeric)
    max_value: Decimal | None = Field(default=None, sa_type=Numeric)
    module_code: str | None = Field(default=None, sa_type=String(40))
    # Subset of {"sex", "role"}: which parts a value must be given in.
    disaggregations: list[str] = Field(
        default_factory=list, sa_column=Column(ARRAY(String(10)), nullable=False)
    )
    # For derived indicators: {"numerator": code, "denominator": code, "multiplier": n}.
    # SQL NULL, not JSON null, for the others: "formula IS NULL" is how they are told apart.
    formula: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB(none_as_null=True)))
    description: str | None = None
    active: bool = True
    created_at: datetime = created_at_field()
    updated_at: datetime | None = timestamp_field()


class IndicatorVersion(Table, table=True):
    """An immutable snapshot of a definition; values record the version they were judged by."""

    __tablename__ = "indicator_version"
    __table_args__ = (UniqueConstraint("indicator_id", "version"),)

    id: UUID = Field(default_factory=new_id, primary_key=True)
    indicator_id: UUID = Field(foreign_key="indicator.id", index=True, ondelete="CASCADE")
    version: int
    definition: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    changed_by: str = Field(sa_type=String(200))
    reason: str | None = None
    created_at: datetime = created_at_field()
