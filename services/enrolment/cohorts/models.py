"""Cohorts: the enterprises of one project trained together in one module, and their trainers."""

from datetime import date, datetime
from uuid import UUID

from sqlalchemy import String
from sqlmodel import Field

from services.enrolment.db import Table
from shared.columns import created_at_field, enum_field
from shared.enums import DeliveryMode
from shared.ids import new_id


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
