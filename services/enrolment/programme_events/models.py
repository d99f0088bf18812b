"""A programme event of a project, the enterprises invited to it and who attended."""

from datetime import date, datetime
from uuid import UUID

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Column, Field

from services.enrolment.db import Table
from shared.columns import created_at_field, enum_field
from shared.ids import new_id


class ProgrammeEvent(Table, table=True):
    __tablename__ = "programme_event"

    id: UUID = Field(default_factory=new_id, primary_key=True)
    project_id: UUID = Field(foreign_key="project.id", index=True)
    # schemas.EventKind
    kind: str = enum_field()
    title: str = Field(sa_type=String(200))
    held_on: date
    venue: str | None = Field(default=None, sa_type=String(300))
    online: bool = False
    organiser: str = Field(sa_type=String(200))
    notes: str | None = None
    cancelled: bool = False
    cancel_reason: str | None = None
    created_by: str = Field(sa_type=String(200))
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class EventInvitation(Table, table=True):
    __tablename__ = "programme_event_invitation"
    __table_args__ = (UniqueConstraint("event_id", "enterprise_id"),)

    id: UUID = Field(default_factory=new_id, primary_key=True)
    event_id: UUID = Field(foreign_key="programme_event.id", index=True, ondelete="CASCADE")
    enterprise_id: UUID = Field(foreign_key="enterprise.id", index=True, ondelete="CASCADE")
    # The people invited by name, when the invitation names them.
    people: list[str] = Field(sa_column=Column(JSONB, nullable=False))
    invited_by: str = Field(sa_type=String(200))
    invited_at: datetime = created_at_field()


class EventAttendee(Table, table=True):
    __tablename__ = "programme_event_attendee"

    id: UUID = Field(default_factory=new_id, primary_key=True)
    event_id: UUID = Field(foreign_key="programme_event.id", index=True, ondelete="CASCADE")
    enterprise_id: UUID = Field(foreign_key="enterprise.id", index=True, ondelete="CASCADE")
    name: str = Field(sa_type=String(200))
    # shared.enums.ParticipantRole, shared.enums.Sex
    role: str = enum_field(max_length=20)
    sex: str = enum_field(max_length=20)
    recorded_by: str = Field(sa_type=String(200))
    recorded_at: datetime = created_at_field()
