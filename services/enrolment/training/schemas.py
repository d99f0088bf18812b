"""Training delivery contracts: modules, trainers, cohorts, participants, sessions, visits."""

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from shared.enums import CertificationLevel, DeliveryMode, ParticipantRole, Sex
from shared.geo import CountryCode

ModuleCode = Annotated[
    str,
    Field(min_length=2, max_length=40, pattern=r"^[a-z0-9_]+$", examples=["workplace_cooperation"]),
]
PersonName = Annotated[str, Field(min_length=2, max_length=200)]


class ModuleStatus(StrEnum):
    """An enterprise's progress in one module: classroom days first, then consulting."""

    enrolled = "enrolled"
    classroom_completed = "classroom_completed"
    completed = "completed"


def _dates_in_order(start: date | None, end: date | None) -> None:
    if start is not None and end is not None and end < start:
        raise PydanticCustomError(
            "date_order",
            "end_date ({end}) is before start_date ({start})",
            {"end": str(end), "start": str(start)},
        )


# --- module catalogue ----------------------------------------------------------------


class ModuleCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: ModuleCode
    name: str = Field(min_length=2, max_length=200, examples=["Workplace Cooperation"])
    level: int = Field(
        ge=1, le=2, description="1: the Level 1 short course; 2: full-package modules"
    )
    classroom_days: int = Field(default=2, ge=1, le=10)
    active: bool = True
    replaced_by_code: ModuleCode | None = None


class ModuleUpdate(BaseModel):
    """A partial update; the code is the module's identity and never changes."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=2, max_length=200)
    level: int | None = Field(default=None, ge=1, le=2)
    classroom_days: int | None = Field(default=None, ge=1, le=10)
    active: bool | None = None
    replaced_by_code: ModuleCode | None = None


class ModulePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    code: str
    name: str
    level: int
    classroom_days: int
    active: bool
    replaced_by_code: str | None
    created_at: datetime


# --- trainers ------------------------------------------------------------------------


class TrainerCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: PersonName
    sex: Sex
    country: CountryCode
    email: str | None = Field(default=None, max_length=200, pattern=r"^[^@\s]+@[^@\s]+$")
    organisation_id: UUID | None = Field(
        default=None,
        description="Implementation partner the trainer works with; partner staff: their own",
    )


class TrainerUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: PersonName | None = None
    sex: Sex | None = None
    country: CountryCode | None = None
    email: str | None = Field(default=None, max_length=200, pattern=r"^[^@\s]+@[^@\s]+$")
    organisation_id: UUID | None = Field(default=None, description="ILO only")


class CertificationPut(BaseModel):
    """A trainer's standing in one module; omitted fields keep their recorded value."""

    model_config = ConfigDict(extra="forbid")

    level: CertificationLevel
    tot_completed_on: date | None = Field(default=None, description="Training of Trainers")
    toe_completed_on: date | None = Field(default=None, description="Training of Enterprises")
    certified_on: date | None = Field(
        default=None, description="Defaults to the later of the ToT and ToE dates"
    )


class CertificationPublic(BaseModel):
    module_code: str
    module_name: str
    level: CertificationLevel
    tot_completed_on: date | None
    toe_completed_on: date | None
    certified_on: date | None
    updated_at: datetime


class TrainerPublic(BaseModel):
    id: UUID
    name: str
    sex: Sex
    country: str
    email: str | None
    organisation_id: UUID | None
    created_at: datetime
    certifications: list[CertificationPublic]


# --- cohorts -------------------------------------------------------------------------

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
    trainer_ids: list[UUID] = Field(default_factory=list)
    lead_trainer_id: LeadTrainer = None
    enterprise_ids: list[UUID] = Field(default_factory=list)
    override_reason: OverrideReason = None

    @model_validator(mode="after")
    def _dates_in_order(self) -> Self:
        _dates_in_order(self.start_date, self.end_date)
        return self


class EnterpriseMembership(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enterprise_ids: list[UUID]
    override_reason: OverrideReason = None


class TrainerMembership(BaseModel):
    model_config = ConfigDict(extra="forbid")

    trainer_ids: list[UUID]
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


# --- participants --------------------------------------------------------------------


class ParticipantCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enterprise_id: UUID
    name: PersonName
    role: ParticipantRole
    sex: Sex
    position_title: str | None = Field(default=None, max_length=100)


class ParticipantPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    cohort_id: UUID
    enterprise_id: UUID
    name: str
    role: ParticipantRole
    sex: Sex
    position_title: str | None
    created_at: datetime


class EnterpriseComposition(BaseModel):
    enterprise_id: UUID
    managers: int
    workers: int
    female: int
    male: int
    other: int = Field(description="Another sex or gender identity")
    not_disclosed: int = Field(description="The four sex counts add up to the participants")


class ParticipantRoster(BaseModel):
    cohort_id: UUID
    items: list[ParticipantPublic]
    composition: list[EnterpriseComposition]
    warnings: list[str]


# --- classroom sessions and attendance -----------------------------------------------


class ClassroomSessionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    day_number: int = Field(ge=1, le=30)
    held_on: date
    delivery_mode: DeliveryMode | None = Field(
        default=None, description="Defaults to the cohort's delivery mode"
    )
    topic: str | None = Field(default=None, max_length=200)


class ClassroomSessionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    cohort_id: UUID
    day_number: int
    held_on: date
    delivery_mode: DeliveryMode
    topic: str | None
    created_at: datetime


class AttendanceMark(BaseModel):
    model_config = ConfigDict(extra="forbid")

    participant_id: UUID
    present: bool


class AttendanceRecord(BaseModel):
    participant_id: UUID
    enterprise_id: UUID
    name: str
    role: ParticipantRole
    sex: Sex
    present: bool


class AttendanceSheet(BaseModel):
    session_id: UUID
    cohort_id: UUID
    day_number: int
    held_on: date
    records: list[AttendanceRecord]
    present: int
    absent: int
    present_female: int
    present_male: int
    present_other: int
    present_not_disclosed: int


# --- consulting visits ---------------------------------------------------------------


class ConsultingVisitCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enterprise_id: UUID
    trainer_id: UUID | None = Field(
        default=None, description="A cohort trainer; trainers may omit it (themselves)"
    )
    visited_on: date
    delivery_mode: DeliveryMode
    duration_hours: float | None = Field(default=None, gt=0, le=24)
    notes: str | None = Field(default=None, max_length=4000)


class ConsultingVisitPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    cohort_id: UUID
    enterprise_id: UUID
    trainer_id: UUID
    visited_on: date
    delivery_mode: DeliveryMode
    duration_hours: float | None
    notes: str | None
    created_at: datetime


# --- module progress -----------------------------------------------------------------


class ProgressUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: ModuleStatus
    # Validated even when omitted, so "completed without a date" names this field.
    completed_on: date | None = Field(default=None, validate_default=True)

    @field_validator("completed_on")
    @classmethod
    def _date_only_when_completed(cls, value: date | None, info: ValidationInfo) -> date | None:
        status = info.data.get("status")
        if status is ModuleStatus.completed and value is None:
            raise PydanticCustomError(
                "required_when_completed", "completed_on is required when status is completed"
            )
        if status is not None and status is not ModuleStatus.completed and value is not None:
            raise PydanticCustomError(
                "only_when_completed",
                "completed_on is only recorded when status is completed (not {status})",
                {"status": status.value},
            )
        return value


class ModuleProgressPublic(BaseModel):
    enterprise_id: UUID
    module_code: str
    module_name: str
    level: int
    cohort_id: UUID | None = Field(
        description="The cohort it was taken in; null when that cohort is not one you may see"
    )
    status: ModuleStatus
    completed_on: date | None
    updated_at: datetime | None = Field(
        description="Null while the status is only implied by cohort membership"
    )
