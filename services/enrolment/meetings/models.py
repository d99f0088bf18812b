"""A commitment meeting, linked to the application it confirms."""

from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import String
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Column, Field

from services.enrolment.db import Table
from shared.columns import created_at_field
from shared.ids import new_id


class CommitmentMeeting(Table, table=True):
    __tablename__ = "commitment_meeting"

    id: UUID = Field(default_factory=new_id, primary_key=True)
    application_id: UUID = Field(foreign_key="application.id", index=True, ondelete="CASCADE")
    held_on: date
    # [{name, position, decision_maker}]
    attendees: list[dict[str, Any]] = Field(sa_column=Column(JSONB, nullable=False))
    # ceo_attends | senior_nominee | none
    commitment: str = Field(sa_type=String(40))
    nominee_name: str | None = Field(default=None, sa_type=String(200))
    nominee_position: str | None = Field(default=None, sa_type=String(200))
    nominee_decision_authority: bool | None = None
    notes: str | None = None
    recorded_by: str = Field(sa_type=String(200))
    created_at: datetime = created_at_field()
