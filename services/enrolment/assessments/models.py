"""An assessment of an enterprise in a project: findings per area and priority modules."""

from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import String
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlmodel import Column, Field

from services.enrolment.db import Table
from shared.columns import created_at_field
from shared.ids import new_id


class Assessment(Table, table=True):
    __tablename__ = "assessment"

    id: UUID = Field(default_factory=new_id, primary_key=True)
    enrolment_id: UUID = Field(foreign_key="enrolment.id", index=True, ondelete="CASCADE")
    # initial | baseline | comprehensive_baseline
    kind: str = Field(sa_type=String(40))
    assessed_on: date
    assessor: str = Field(sa_type=String(200))
    # A trainer of the partner who assessed, when the assessor is one.
    assessor_trainer_id: UUID | None = Field(default=None, foreign_key="trainer.id")
    # [{area, score (1-5 or null), finding}]
    findings: list[dict[str, Any]] = Field(sa_column=Column(JSONB, nullable=False))
    # Module codes in the order the enterprise and the assessor agreed on.
    priority_modules: list[str] = Field(
        sa_column=Column(ARRAY(String(40)), nullable=False, server_default="{}")
    )
    notes: str | None = None
    recorded_by: str = Field(sa_type=String(200))
    created_at: datetime = created_at_field()
