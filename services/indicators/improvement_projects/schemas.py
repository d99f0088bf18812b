"""Improvement project contracts: what an enterprise changed, its status, cost and savings."""

from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from services.indicators.fields import (
    ModuleCode,
    Money,
    PastDate,
    PhotoReference,
    Slug,
    not_in_future,
)
from shared.decimals import PlainDecimal
from shared.geo import CurrencyCode


class ProjectStatus(StrEnum):
    planned = "planned"
    in_progress = "in_progress"
    completed = "completed"
    abandoned = "abandoned"


# Where a project may go next; completed and abandoned are final.
TRANSITIONS: dict[ProjectStatus, frozenset[ProjectStatus]] = {
    ProjectStatus.planned: frozenset({ProjectStatus.in_progress, ProjectStatus.abandoned}),
    ProjectStatus.in_progress: frozenset({ProjectStatus.completed, ProjectStatus.abandoned}),
    ProjectStatus.completed: frozenset(),
    ProjectStatus.abandoned: frozenset(),
}

# The usual kinds; category is open (a slug), these are what clients offer first.
SUGGESTED_CATEGORIES = (
    "five_s",
    "suggestion_scheme",
    "line_meetings",
    "ppe",
    "waste_recycling",
    "energy",
    "quality",
    "other",
)

_CATEGORY_DESCRIPTION = "A slug; suggested: " + ", ".join(SUGGESTED_CATEGORIES)


class ProjectState(BaseModel):
    """An improvement project's recorded facts, judged as a whole after every change."""

    model_config = ConfigDict(extra="forbid")

    module_code: ModuleCode
    title: str = Field(min_length=2, max_length=200, examples=["5S in the warehouse"])
    category: Slug = Field(description=_CATEGORY_DESCRIPTION, examples=["five_s"])
    status: ProjectStatus = ProjectStatus.planned
    started_on: date | None = Field(
        default=None, description="May be ahead only while the project is planned"
    )
    completed_on: PastDate | None = Field(
        default=None, validate_default=True, description="Required when completed, only then"
    )
    cost: Money | None = None
    savings: Money | None = None
    currency: CurrencyCode | None = Field(
        default=None,
        validate_default=True,
        description="ISO 4217; required when cost or savings is given",
        examples=["PKR"],
    )
    before_photo: PhotoReference | None = None
    after_photo: PhotoReference | None = None

    @field_validator("started_on")
    @classmethod
    def _started_not_ahead(cls, value: date | None, info: ValidationInfo) -> date | None:
        if value is not None and info.data.get("status") is not ProjectStatus.planned:
            return not_in_future(value)
        return value

    @field_validator("completed_on")
    @classmethod
    def _completed_on_with_status(cls, value: date | None, info: ValidationInfo) -> date | None:
        status = info.data.get("status")
        if status is None:  # the status itself was invalid; that error is enough
            return value
        if status is ProjectStatus.completed and value is None:
            raise PydanticCustomError(
                "required_when_completed", "a completed project needs completed_on"
            )
        if status is not ProjectStatus.completed and value is not None:
            raise PydanticCustomError(
                "only_when_completed",
                "completed_on is only for completed projects (status is {status})",
                {"status": status.value},
            )
        started = info.data.get("started_on")
        if value is not None and started is not None and value < started:
            raise PydanticCustomError(
                "date_order",
                "completed_on ({completed}) is before started_on ({started})",
                {"completed": value.isoformat(), "started": started.isoformat()},
            )
        return value

    @field_validator("currency")
    @classmethod
    def _currency_with_amounts(cls, value: str | None, info: ValidationInfo) -> str | None:
        amounts = [name for name in ("cost", "savings") if info.data.get(name) is not None]
        if value is None and amounts:
            raise PydanticCustomError(
                "required_with_amount",
                "an ISO 4217 currency is required with {amounts}",
                {"amounts": " and ".join(amounts)},
            )
        return value


class ProjectCreate(ProjectState):
    """A new improvement project: the full state, checked by the same rules as an update."""


class ProjectUpdate(BaseModel):
    """A partial update; unspecified fields keep their value. The result is judged whole."""

    model_config = ConfigDict(extra="forbid")

    module_code: ModuleCode | None = None
    title: str | None = Field(default=None, min_length=2, max_length=200)
    category: Slug | None = Field(default=None, description=_CATEGORY_DESCRIPTION)
    status: ProjectStatus | None = Field(
        default=None,
        description="planned -> in_progress -> completed; abandoned from planned or in_progress",
    )
    started_on: date | None = None
    completed_on: date | None = None
    cost: Money | None = None
    savings: Money | None = None
    currency: CurrencyCode | None = None
    before_photo: PhotoReference | None = None
    after_photo: PhotoReference | None = None
    reason: str | None = Field(
        default=None, max_length=500, description="Why, recorded with a status change"
    )


class ProjectPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    enterprise_id: UUID
    module_code: str
    title: str
    category: str
    status: ProjectStatus
    started_on: date | None
    completed_on: date | None
    cost: PlainDecimal | None
    savings: PlainDecimal | None
    currency: str | None
    before_photo: str | None
    after_photo: str | None
    created_at: datetime
    updated_at: datetime | None
