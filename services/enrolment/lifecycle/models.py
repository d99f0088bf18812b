"""An enterprise's journey in a project and its stage transitions."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import String, UniqueConstraint
from sqlmodel import Field

from services.enrolment.db import Table
from shared.columns import created_at_field, enum_field, timestamp_field
from shared.enums import LifecycleStage
from shared.ids import new_id


class Enrolment(Table, table=True):
    """One enterprise in one project, at one lifecycle stage."""

    __tablename__ = "enrolment"
    __table_args__ = (UniqueConstraint("project_id", "enterprise_id"),)

    id: UUID = Field(default_factory=new_id, primary_key=True)
    project_id: UUID = Field(foreign_key="project.id", index=True)
    enterprise_id: UUID = Field(foreign_key="enterprise.id", index=True)
    stage: LifecycleStage = enum_field(index=True)
    # Reference to the signed programme consent form (document id, file name ...).
    consent_form_reference: str | None = Field(default=None, sa_type=String(200))
    created_at: datetime = created_at_field()
    updated_at: datetime | None = timestamp_field()


class StageTransition(Table, table=True):
    __tablename__ = "stage_transition"

    id: UUID = Field(default_factory=new_id, primary_key=True)
    enrolment_id: UUID = Field(foreign_key="enrolment.id", index=True, ondelete="CASCADE")
    from_stage: LifecycleStage | None = Field(default=None, sa_type=String(40))
    to_stage: LifecycleStage = enum_field()
    reason: str | None = None
    actor: str = Field(sa_type=String(200))
    at: datetime = created_at_field()
