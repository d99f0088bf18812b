"""Participants' ratings of the modules they were trained in."""

from datetime import date, datetime
from uuid import UUID

from sqlalchemy import String, UniqueConstraint
from sqlmodel import Field

from services.indicators.db import Table
from shared.columns import created_at_field, utcnow
from shared.ids import new_id


class SatisfactionResponse(Table, table=True):
    """A training participant's rating of one module (programme-wide rates are published)."""

    __tablename__ = "satisfaction_response"
    __table_args__ = (UniqueConstraint("participant_id", "module_code"),)

    id: UUID = Field(default_factory=new_id, primary_key=True)
    enterprise_id: UUID = Field(index=True)
    cohort_id: UUID | None = Field(default=None, index=True)
    participant_id: UUID
    module_code: str = Field(sa_type=String(40))
    role: str = Field(sa_type=String(10))
    sex: str = Field(sa_type=String(10))
    rating: int  # 1 (very dissatisfied) .. 5 (very satisfied)
    would_recommend: bool | None = None
    comments: str | None = None
    # The day the participant gave the rating (backdated within the project's period when
    # paper forms are typed in later); reports date the rating by it.
    rated_on: date = Field(default_factory=lambda: utcnow().date())
    submitted_at: datetime = created_at_field()
