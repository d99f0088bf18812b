"""Calls for expression of interest, their versioned criteria, and applications."""

from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import DateTime, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Column, Field

from services.enrolment.db import Table
from shared.columns import created_at_field, timestamp_field
from shared.ids import new_id


class Call(Table, table=True):
    __tablename__ = "call"

    id: UUID = Field(default_factory=new_id, primary_key=True)
    project_id: UUID = Field(foreign_key="project.id", index=True)
    title: str = Field(sa_type=String(200))
    description: str | None = None
    opens_on: date | None = None
    # Applications received after this instant are refused.
    deadline: datetime = Field(sa_type=DateTime(timezone=True))
    # Places in the programme; shortlisting takes the best-ranked eligible up to this.
    capacity: int | None = None
    current_criteria_version: int = 1
    created_at: datetime = created_at_field()


class CriteriaVersion(Table, table=True):
    """An immutable version of a call's criteria; evaluations name the one they used."""

    __tablename__ = "criteria_version"
    __table_args__ = (UniqueConstraint("call_id", "version"),)

    id: UUID = Field(default_factory=new_id, primary_key=True)
    call_id: UUID = Field(foreign_key="call.id", index=True, ondelete="CASCADE")
    version: int
    criteria: list[dict[str, Any]] = Field(sa_column=Column(JSONB, nullable=False))
    created_by: str = Field(sa_type=String(200))
    created_at: datetime = created_at_field()


class Application(Table, table=True):
    __tablename__ = "application"
    __table_args__ = (UniqueConstraint("call_id", "enterprise_id"),)

    id: UUID = Field(default_factory=new_id, primary_key=True)
    call_id: UUID = Field(foreign_key="call.id", index=True)
    enterprise_id: UUID = Field(foreign_key="enterprise.id", index=True)
    # The enterprise's declarations (willing to share data, CEO attends, ...).
    answers: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    submitted_at: datetime = created_at_field()
    outcome: str | None = Field(default=None, sa_type=String(40))
    priority_score: float = 0
    criteria_version: int | None = None
    # Per-criterion explanation and the exact inputs it was judged on, for reproducibility.
    evaluation: list[dict[str, Any]] | None = Field(default=None, sa_column=Column(JSONB))
    input_snapshot: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB))
    evaluated_at: datetime | None = timestamp_field()
    shortlisted: bool = False
