"""Cohort contracts."""

from datetime import date, datetime
from typing import Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from services.enrolment.catalogue.schemas import ModuleCode
from shared.enums import DeliveryMode


def _dates_in_order(start: date | None, end: date | None) -> None:
    if start is not None and end is not None and end < start:
        raise PydanticCustomError(
            "date_order",
            "end_date ({end}) is before start_date ({start})",
            {"end": str(end), "start": str(start)},
        )


class CohortCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    project_id: UUID
    partner_id: UUID | None = Field(
        default=None, description="Delivering partner; partner staff may omit it (their own)"
    )
    module_code: ModuleCode
    name: str = Field(min_length=2, max_length=200, examples=["Karachi batch 3"])
    start_date: date | None = None
    end_date: date | None = None
    delivery_mode: DeliveryMode = DeliveryMode.on_site
    trainer_ids: list[UUID] = Field(default_factory=list)
    enterprise_ids: list[UUID] = Field(default_factory=list)

    @model_validator(mode="after")
    def _dates_in_order(self) -> Self:
        _dates_in_order(self.start_date, self.end_date)
        return self


class EnterpriseMembership(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enterprise_ids: list[UUID]


class TrainerMembership(BaseModel):
    model_config = ConfigDict(extra="forbid")

    trainer_ids: list[UUID]


class CohortPublic(BaseModel):
    id: UUID
    project_id: UUID
    partner_id: UUID
    module_code: str
    module_name: str
    name: str
    start_date: date | None
    end_date: date | None
    delivery_mode: DeliveryMode
    enterprise_ids: list[UUID]
    trainer_ids: list[UUID]
    participants_count: int
    created_at: datetime
    warnings: list[str] = Field(
        description="Accepted departures from SCORE practice (e.g. more than 5 enterprises)"
    )
