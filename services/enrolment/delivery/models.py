"""Delivering a cohort: participants, classroom sessions and attendance, consulting visits,
and each enterprise's progress in a module."""

from datetime import date, datetime
from uuid import UUID

from sqlalchemy import String, UniqueConstraint
from sqlmodel import Field

from services.enrolment.db import Table
from shared.columns import created_at_field, enum_field, timestamp_field
from shared.enums import DeliveryMode, ParticipantRole, Sex
from shared.ids import new_id


class Participant(Table, table=True):
    """A person an enterprise sends to a cohort (normally 2 managers and 2 workers)."""

    __tablename__ = "participant"

    id: UUID = Field(default_factory=new_id, primary_key=True)
    cohort_id: UUID = Field(foreign_key="cohort.id", index=True, ondelete="CASCADE")
    enterprise_id: UUID = Field(foreign_key="enterprise.id", index=True)
    name: str = Field(sa_type=String(200))
    role: ParticipantRole = enum_field()
    sex: Sex = enum_field()
    position_title: str | None = Field(default=None, sa_type=String(100))
    created_at: datetime = created_at_field()


class ClassroomSession(Table, table=True):
    __tablename__ = "classroom_session"
    __table_args__ = (UniqueConstraint("cohort_id", "day_number"),)

    id: UUID = Field(default_factory=new_id, primary_key=True)
    cohort_id: UUID = Field(foreign_key="cohort.id", index=True, ondelete="CASCADE")
    day_number: int
    held_on: date
    delivery_mode: DeliveryMode = enum_field(default=DeliveryMode.on_site)
    topic: str | None = Field(default=None, sa_type=String(200))
    created_at: datetime = created_at_field()


class Attendance(Table, table=True):
    __tablename__ = "attendance"

    session_id: UUID = Field(
        foreign_key="classroom_session.id", primary_key=True, ondelete="CASCADE"
    )
    participant_id: UUID = Field(foreign_key="participant.id", primary_key=True, ondelete="CASCADE")
    present: bool


class ConsultingVisit(Table, table=True):
    """A trainer's in-factory (or, since COVID-19, virtual) consulting visit."""

    __tablename__ = "consulting_visit"

    id: UUID = Field(default_factory=new_id, primary_key=True)
    cohort_id: UUID = Field(foreign_key="cohort.id", index=True, ondelete="CASCADE")
    enterprise_id: UUID = Field(foreign_key="enterprise.id", index=True)
    trainer_id: UUID = Field(foreign_key="trainer.id", index=True)
    visited_on: date
    delivery_mode: DeliveryMode = enum_field()
    duration_hours: float | None = None
    notes: str | None = None
    created_at: datetime = created_at_field()


class ModuleProgress(Table, table=True):
    """How far one enterprise has come in one module (through one cohort)."""

    __tablename__ = "module_progress"
    __table_args__ = (UniqueConstraint("enterprise_id", "module_id"),)

    id: UUID = Field(default_factory=new_id, primary_key=True)
    enterprise_id: UUID = Field(foreign_key="enterprise.id", index=True)
    module_id: UUID = Field(foreign_key="training_module.id")
    cohort_id: UUID = Field(foreign_key="cohort.id", index=True)
    # enrolled -> classroom_completed -> completed (after the consulting visits)
    status: str = Field(default="enrolled", sa_type=String(40))
    completed_on: date | None = None
    updated_at: datetime | None = timestamp_field()
