"""An enterprise's orders from one lead buyer in one month: confirmed and in the pipeline."""

from datetime import date, datetime
from uuid import UUID

from sqlalchemy import String, UniqueConstraint
from sqlmodel import Field

from services.enrolment.db import Table
from shared.columns import created_at_field
from shared.ids import new_id


class OrderMonth(Table, table=True):
    __tablename__ = "order_month"
    __table_args__ = (UniqueConstraint("enterprise_id", "buyer_id", "month"),)

    id: UUID = Field(default_factory=new_id, primary_key=True)
    enterprise_id: UUID = Field(foreign_key="enterprise.id", index=True, ondelete="CASCADE")
    buyer_id: UUID = Field(foreign_key="organisation.id", index=True)
    # The first day of the month.
    month: date
    # Pieces (the unit the enterprise reports to its buyer).
    confirmed: int
    pipeline: int
    recorded_by: str = Field(sa_type=String(200))
    recorded_at: datetime = created_at_field()
