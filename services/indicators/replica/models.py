"""The local replica of enrolment facts this service needs, built from enrolment's events.

Indicators never reads enrolment's database: who an enterprise is, which partner owns it,
where it stands in which project and which trainers teach it arrive as events.
"""

from datetime import date, datetime
from uuid import UUID

from sqlalchemy import String, Uuid
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Column, Field

from services.indicators.db import Table
from shared.columns import created_at_field


class ReplicaEnterprise(Table, table=True):
    __tablename__ = "replica_enterprise"

    id: UUID = Field(primary_key=True)
    name: str = Field(sa_type=String(200))
    country: str = Field(sa_type=String(2), index=True)
    sector: str = Field(sa_type=String(60))
    sub_sector: str | None = Field(default=None, sa_type=String(60))
    partner_id: UUID | None = Field(default=None, index=True)
    workforce_total: int | None = None
    workforce_female: int | None = None
    workforce_male: int | None = None
    updated_at: datetime = created_at_field()


class ReplicaProject(Table, table=True):
    """A project and the organisations taking part in it: who may plan its rounds and
    read its records (a partner of the project, not a partner of an enrolled enterprise);
    its period bounds backdated records such as satisfaction ratings."""

    __tablename__ = "replica_project"

    id: UUID = Field(primary_key=True)
    name: str = Field(sa_type=String(200))
    country: str = Field(sa_type=String(2))
    start_date: date | None = None
    end_date: date | None = None
    partner_ids: list[UUID] = Field(
        default_factory=list, sa_column=Column(ARRAY(Uuid), nullable=False)
    )
    funder_ids: list[UUID] = Field(
        default_factory=list, sa_column=Column(ARRAY(Uuid), nullable=False)
    )
    updated_at: datetime = created_at_field()


class ReplicaEnrolment(Table, table=True):
    __tablename__ = "replica_enrolment"

    id: UUID = Field(primary_key=True)
    enterprise_id: UUID = Field(index=True)
    project_id: UUID = Field(index=True)
    partner_id: UUID | None = None
    stage: str = Field(sa_type=String(40))
    updated_at: datetime = created_at_field()


class ReplicaCohort(Table, table=True):
    __tablename__ = "replica_cohort"

    id: UUID = Field(primary_key=True)
    project_id: UUID = Field(index=True)
    partner_id: UUID = Field(index=True)
    module_code: str = Field(sa_type=String(40))
    name: str = Field(sa_type=String(200))
    start_date: date | None = None
    enterprise_ids: list[UUID] = Field(
        default_factory=list, sa_column=Column(ARRAY(Uuid), nullable=False)
    )
    trainer_ids: list[UUID] = Field(
        default_factory=list, sa_column=Column(ARRAY(Uuid), nullable=False)
    )
    updated_at: datetime = created_at_field()


class ReplicaConsent(Table, table=True):
    __tablename__ = "replica_consent"

    id: UUID = Field(primary_key=True)
    enterprise_id: UUID = Field(index=True)
    buyer_id: UUID = Field(index=True)
    status: str = Field(sa_type=String(20))
    updated_at: datetime = created_at_field()
