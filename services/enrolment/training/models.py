"""Training delivery: module catalogue, trainers and certifications, cohorts, participants,
classroom sessions and attendance, consulting visits, per-enterprise module progress."""

from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Column, Field

from services.enrolment.db import Table, created_at_field, enum_field, timestamp_field
from shared.enums import CertificationLevel, DeliveryMode, ParticipantRole, Sex
from shared.ids import new_id


class TrainingModule(Table, table=True):
    """A SCORE module; the catalogue is data (SCORE4Climate replaced Clean Production)."""

    __tablename__ = "training_module"

    id: UUID = Field(default_factory=new_id, primary_key=True)
    code: str = Field(sa_type=String(40), unique=True)
    name: str = Field(sa_type=String(200))
    # 1 for Module 1 (Workplace Cooperation, always first); 2 for the full-package modules.
    level: int = 1
    classroom_days: int = 2
    active: bool = True
    replaced_by_code: str | None = Field(default=None, sa_type=String(40))
    created_at: datetime = created_at_field()


class Trainer(Table, table=True):
    __tablename__ = "trainer"

    id: UUID = Field(default_factory=new_id, primary_key=True)
    name: str = Field(sa_type=String(200))
    sex: Sex = enum_field()
    country: str = Field(sa_type=String(2), index=True)
    email: str | None = Field(default=None, sa_type=String(200))
    # The implementation partner the trainer works with; their data belongs to it.
    organisation_id: UUID | None = Field(default=None, foreign_key="organisation.id", index=True)
    created_at: datetime = created_at_field()


class TrainerCertification(Table, table=True):
    """A trainer's standing in one module: candidate, then certified after ToT and ToE."""

    __tablename__ = "trainer_certification"
    __table_args__ = (UniqueConstraint("trainer_id", "module_id"),)

    id: UUID = Field(default_factory=new_id, primary_key=True)
    trainer_id: UUID = Field(foreign_key="trainer.id", index=True, ondelete="CASCADE")
    module_id: UUID = Field(foreign_key="training_module.id")
    level: CertificationLevel = enum_field()
    tot_completed_on: date | None = None
    toe_completed_on: date | None = None
    certified_on: date | None = None
    updated_at: datetime = created_at_field()


class Cohort(Table, table=True):
    """A batch of 4-5 enterprises trained together in one module."""

    __tablename__ = "cohort"

    id: UUID = Field(default_factory=new_id, primary_key=True)
    project_id: UUID = Field(foreign_key="project.id", index=True)
    partner_id: UUID = Field(foreign_key="organisation.id", index=True)
    module_id: UUID = Field(foreign_key="training_module.id")
    name: str = Field(sa_type=String(200))
    start_date: date | None = None
    end_date: date | None = None
    delivery_mode: DeliveryMode = enum_field(default=DeliveryMode.on_site)
    # Certified in the module (services.enrolment.training.cohort_rules); null: no trainer yet.
    lead_trainer_id: UUID | None = Field(default=None, foreign_key="trainer.id")
    # Cohort rules the ILO or the programme manager overrode: rule, subject, why, who, when.
    overrides: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSONB, nullable=False, server_default="[]")
    )
    created_at: datetime = created_at_field()


class CohortTrainer(Table, table=True):
    __tablename__ = "cohort_trainer"

    cohort_id: UUID = Field(foreign_key="cohort.id", primary_key=True, ondelete="CASCADE")
    trainer_id: UUID = Field(foreign_key="trainer.id", primary_key=True, index=True)


class CohortEnterprise(Table, table=True):
    __tablename__ = "cohort_enterprise"

    cohort_id: UUID = Field(foreign_key="cohort.id", primary_key=True, ondelete="CASCADE")
    enterprise_id: UUID = Field(foreign_key="enterprise.id", primary_key=True, index=True)
    added_at: datetime = created_at_field()


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
