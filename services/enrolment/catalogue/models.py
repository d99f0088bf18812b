"""The SCORE module catalogue: the modules cohorts are trained in."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import String
from sqlmodel import Field

from services.enrolment.db import Table
from shared.columns import created_at_field
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
