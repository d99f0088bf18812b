"""Measurement round contracts."""

from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError


class RoundKind(StrEnum):
    baseline = "baseline"
    endline = "endline"
    follow_up = "follow_up"


class RoundCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    project_id: UUID
    kind: RoundKind
    sequence: int = Field(default=1, ge=1, le=100)
    name: str = Field(min_length=1, max_length=200, examples=["Baseline 2018"])
    starts_on: date
    ends_on: date

    @field_validator("ends_on")
    @classmethod
    def _ends_after_start(cls, value: date, info: ValidationInfo) -> date:
        starts_on = info.data.get("starts_on")
        if starts_on is not None and value < starts_on:
            raise PydanticCustomError(
                "date_order",
                "ends_on ({ends_on}) is before starts_on ({starts_on})",
                {"ends_on": value.isoformat(), "starts_on": starts_on.isoformat()},
            )
        return value


class RoundPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    project_id: UUID
    kind: RoundKind
    sequence: int
    name: str
    starts_on: date
    ends_on: date
    created_at: datetime
