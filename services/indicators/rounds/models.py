"""Measurement rounds: a project's baseline, endline and follow-ups, with their dates."""

from datetime import date, datetime
from uuid import UUID

from sqlalchemy import String, UniqueConstraint
from sqlmodel import Field

from services.indicators.db import Table
from shared.columns import created_at_field
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
