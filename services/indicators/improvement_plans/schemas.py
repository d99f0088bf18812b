"""Improvement plan contracts, and the progress a trainer and the scorecard read."""

from datetime import date, datetime
from enum import StrEnum
from typing import Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from services.indicators.fields import ModuleCode, PastDate


class ActionStatus(StrEnum):
    planned = "planned"
    in_progress = "in_progress"
    done = "done"
    dropped = "dropped"


class PlanStatus(StrEnum):
    open = "open"
    completed = "completed"


CLOSED = frozenset({ActionStatus.done, ActionStatus.dropped})


class ActionState(BaseModel):
    """An action as stored: done_on exactly when it is done."""

    model_config = ConfigDict(extra="forbid")

    objective: str = Field(min_length=2, max_length=300, examples=["Halve rework on line 3"])
    action: str = Field(min_length=2, max_length=500, examples=["Check the first piece"])
    owner: str = Field(
        min_length=2, max_length=200, description="Who answers for it", examples=["Line 3 lead"]
    )
    due_on: date
    status: ActionStatus = ActionStatus.planned
    done_on: PastDate | None = None
    improvement_project_id: UUID | None = Field(
        default=None, description="The enterprise's improvement project carrying it out"
    )

    @model_validator(mode="after")
    def _done_on_when_done(self) -> Self:
        if self.status is ActionStatus.done and self.done_on is None:
            raise PydanticCustomError("done_on_required", "a done action needs done_on")
        if self.status is not ActionStatus.done and self.done_on is not None:
            raise PydanticCustomError("only_when_done", "done_on is only for done actions")
        return self


class PlanCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    module_code: ModuleCode
    title: str = Field(min_length=2, max_length=200)
    agreed_on: PastDate
    actions: list[ActionState] = Field(min_length=1, max_length=100)


class ActionUpdate(BaseModel):
    """A partial update of one action; the result is judged whole."""

    model_config = ConfigDict(extra="forbid")

    owner: str | None = Field(default=None, min_length=2, max_length=200)
    due_on: date | None = None
    status: ActionStatus | None = None
    done_on: PastDate | None = None
    improvement_project_id: UUID | None = None


class ActionPublic(ActionState):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    overdue: bool = Field(description="Not closed and past its due date")


class PlanProgress(BaseModel):
    actions: int
    done: int
    dropped: int
    overdue: int
    percent_done: float = Field(description="Done over actions not dropped, 1 decimal")


class PlanPublic(BaseModel):
    id: UUID
    enterprise_id: UUID
    module_code: str
    title: str
    agreed_on: date
    status: PlanStatus
    completed_on: date | None
    progress: PlanProgress
    actions: list[ActionPublic]
    created_at: datetime
    updated_at: datetime | None
