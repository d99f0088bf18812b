"""Delivery contracts: participants, classroom sessions and attendance, consulting visits,
module progress."""

from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from services.enrolment.trainers.schemas import PersonName
from shared.enums import DeliveryMode, ParticipantRole, Sex


class ModuleStatus(StrEnum):
    """An enterprise's progress in one module: classroom days first, then consulting."""

    enrolled = "enrolled"
    classroom_completed = "classroom_completed"
    completed = "completed"


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
