"""A worker's suggestion to the enterprise, its decision, reward and savings."""

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from sqlalchemy import Numeric, String
from sqlmodel import Field

from services.indicators.db import Table
from shared.columns import created_at_field, timestamp_field
from shared.ids import new_id


class Suggestion(Table, table=True):
    __tablename__ = "suggestion"

    id: UUID = Field(default_factory=new_id, primary_key=True)
    enterprise_id: UUID = Field(index=True)
    submitted_on: date
    title: str = Field(sa_type=String(200))
    # Who suggested it: their role (manager | worker) and sex, never their name.
    role: str = Field(sa_type=String(10))
    sex: str = Field(sa_type=String(20))
    # submitted | adopted | rejected
    status: str = Field(sa_type=String(20))
    decided_on: date | None = None
    reward_paid: Decimal | None = Field(default=None, sa_type=Numeric(18, 2))
    savings: Decimal | None = Field(default=None, sa_type=Numeric(18, 2))
    currency: str | None = Field(default=None, sa_type=String(3))
    # The improvement project that carries an adopted suggestion out, when there is one.
    improvement_project_id: UUID | None = Field(default=None, foreign_key="improvement_project.id")
    created_at: datetime = created_at_field()
    updated_at: datetime | None = timestamp_field()
