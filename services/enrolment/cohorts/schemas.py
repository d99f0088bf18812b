"""Cohort contracts."""

from datetime import date, datetime
from typing import Annotated, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from services.enrolment.catalogue.schemas import ModuleCode
from shared.enums import DeliveryMode

# Cohorts are 4-5 enterprises with their trainers; the bounds only keep a list of ids within
# what one statement takes (each id is a query argument: past 32,767 the driver refused it).
MAX_ENTERPRISES = 500
MAX_TRAINERS = 100


def _dates_in_order(start: date | None, end: date | None) -> None:
    if start is not None and end is not None and end < start:
        raise PydanticCustomError(
            "date_order",
            "end_date ({end}) is before start_date ({start})",
            {"end": str(end), "start": str(start)},
        )


OverrideReason = Annotated[
    str | None,
    Field(
        min_length=10,
        max_length=1000,
        description=(
            "Lets a cohort that breaks a cohort rule (stage_reached, lead_trainer_certified) "
            "go ahead: the ILO or the project's programme manager only; kept and audited"
        ),
    ),
]
LeadTrainer = Annotated[
    UUID | None,
    Field(
        description="One of trainer_ids, certified in the module; default: the first listed",
    ),
]


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
    trainer_ids: list[UUID] = Field(default_factory=list, max_length=MAX_TRAINERS)
    lead_trainer_id: LeadTrainer = None
    enterprise_ids: list[UUID] = Field(default_factory=list, max_length=MAX_ENTERPRISES)
    override_reason: OverrideReason = None

    @model_validator(mode="after")
    def _dates_in_order(self) -> Self:
        _dates_in_order(self.start_date, self.end_date)
        return self


class EnterpriseMembership(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enterprise_ids: list[UUID] = Field(max_length=MAX_ENTERPRISES)
    override_reason: OverrideReason = None


class TrainerMembership(BaseModel):
    model_config = ConfigDict(extra="forbid")

    trainer_ids: list[UUID] = Field(max_length=MAX_TRAINERS)
    lead_trainer_id: LeadTrainer = None
    override_reason: OverrideReason = None


class CohortOverride(BaseModel):
    rule: str = Field(description="stage_reached or lead_trainer_certified")
    subject_id: UUID = Field(description="The enterprise or trainer the rule was broken for")
    detail: str
    reason: str
    actor: str
    at: datetime


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
    lead_trainer_id: UUID | None
    participants_count: int
    overrides: list[CohortOverride] = Field(
        description="Cohort rules overridden, with why and by whom (of the enterprises you see)"
    )
    created_at: datetime
    warnings: list[str] = Field(
        description="Accepted departures from SCORE practice (e.g. more than 5 enterprises)"
    )
