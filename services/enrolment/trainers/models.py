"""Trainers and their standing per module (candidate, certified after ToT and ToE, expert)."""

from datetime import date, datetime
from uuid import UUID

from sqlalchemy import String, UniqueConstraint
from sqlmodel import Field

from services.enrolment.db import Table
from shared.columns import created_at_field, enum_field
from shared.enums import CertificationLevel, Sex
from shared.ids import new_id


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
    # Certified without the full evidence (quizzes, assignment): the ILO's reason and who.
    override_reason: str | None = Field(default=None, sa_type=String(1000))
    overridden_by: str | None = Field(default=None, sa_type=String(200))
    updated_at: datetime = created_at_field()
