"""Organisations (partners, buyers, funders) and projects."""

from datetime import date, datetime
from uuid import UUID

from sqlalchemy import String, UniqueConstraint
from sqlmodel import Field

from services.enrolment.db import Table
from shared.columns import created_at_field, enum_field
from shared.enums import OrganisationKind
from shared.ids import new_id


class Organisation(Table, table=True):
    __tablename__ = "organisation"

    id: UUID = Field(default_factory=new_id, primary_key=True)
    name: str = Field(max_length=200, sa_type=String(200), unique=True)
    short_name: str | None = Field(default=None, max_length=40)
    kind: OrganisationKind = enum_field(index=True)
    country: str | None = Field(default=None, max_length=2)
    created_at: datetime = created_at_field()


class Project(Table, table=True):
    __tablename__ = "project"

    id: UUID = Field(default_factory=new_id, primary_key=True)
    name: str = Field(max_length=200, sa_type=String(200))
    country: str = Field(max_length=2, index=True)
    start_date: date | None = None
    end_date: date | None = None
    created_at: datetime = created_at_field()


class ProjectOrganisation(Table, table=True):
    """Who takes part in a project: implementation partners and funders."""

    __tablename__ = "project_organisation"
    __table_args__ = (UniqueConstraint("project_id", "organisation_id", "relation"),)

    id: UUID = Field(default_factory=new_id, primary_key=True)
    project_id: UUID = Field(foreign_key="project.id", index=True, ondelete="CASCADE")
    organisation_id: UUID = Field(foreign_key="organisation.id", index=True)
    relation: str = Field(max_length=20)  # "partner" | "funder"
