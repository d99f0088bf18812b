"""Improvement projects (5S in the warehouse, a suggestion box ...) with their money."""

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from sqlalchemy import Numeric, String
from sqlmodel import Field

from services.indicators.db import Table
from shared.columns import created_at_field, timestamp_field
from shared.ids import new_id


class ImprovementProject(Table, table=True):
    """An improvement project (5S in the warehouse, a suggestion box ...), with its money."""

    __tablename__ = "improvement_project"

    id: UUID = Field(default_factory=new_id, primary_key=True)
    enterprise_id: UUID = Field(index=True)
    module_code: str = Field(sa_type=String(40))
    title: str = Field(sa_type=String(200))
    category: str = Field(sa_type=String(60))
    # planned | in_progress | completed | abandoned
    status: str = Field(sa_type=String(20))
    started_on: date | None = None
    completed_on: date | None = None
    cost: Decimal | None = Field(default=None, sa_type=Numeric(18, 2))
    savings: Decimal | None = Field(default=None, sa_type=Numeric(18, 2))
    currency: str | None = Field(default=None, sa_type=String(3))
    before_photo: str | None = Field(default=None, sa_type=String(500))
    after_photo: str | None = Field(default=None, sa_type=String(500))
    created_at: datetime = created_at_field()
    updated_at: datetime | None = timestamp_field()
