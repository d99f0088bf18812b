"""An Enterprise Improvement Plan: objectives broken into actions with owners and due dates,
each possibly carried out by an improvement project."""

from datetime import date, datetime
from uuid import UUID

from sqlalchemy import String
from sqlmodel import Field

from services.indicators.db import Table
from shared.columns import created_at_field, timestamp_field
from shared.ids import new_id


class ImprovementPlan(Table, table=True):
    __tablename__ = "improvement_plan"

    id: UUID = Field(default_factory=new_id, primary_key=True)
    enterprise_id: UUID = Field(index=True)
    module_code: str = Field(sa_type=String(40))
    title: str = Field(sa_type=String(200))
    agreed_on: date
    # open | completed: completed once every action is closed and at least one is done.
    status: str = Field(sa_type=String(20))
    completed_on: date | None = None
    created_at: datetime = created_at_field()
    updated_at: datetime | None = timestamp_field()


class ImprovementPlanAction(Table, table=True):
    __tablename__ = "improvement_plan_action"

    id: UUID = Field(default_factory=new_id, primary_key=True)
    plan_id: UUID = Field(foreign_key="improvement_plan.id", index=True, ondelete="CASCADE")
    position: int
    objective: str = Field(sa_type=String(300))
    action: str = Field(sa_type=String(500))
    owner: str = Field(sa_type=String(200))
    due_on: date
    # planned | in_progress | done | dropped
    status: str = Field(sa_type=String(20))
    done_on: date | None = None
    improvement_project_id: UUID | None = Field(default=None, foreign_key="improvement_project.id")
