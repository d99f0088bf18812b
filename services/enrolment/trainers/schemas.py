"""Trainer and certification contracts."""

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from shared.enums import CertificationLevel, Sex
from shared.geo import CountryCode

PersonName = Annotated[str, Field(min_length=2, max_length=200)]


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
    override_reason: str | None = Field(
        default=None,
        min_length=10,
        max_length=1000,
        description=(
            "Certifies a trainer whose evidence (a passed quiz per session, an assignment) is "
            "incomplete: the ILO only; kept on the certification and audited"
        ),
    )


class CertificationPublic(BaseModel):
    module_code: str
    module_name: str
    level: CertificationLevel
    tot_completed_on: date | None
    toe_completed_on: date | None
    certified_on: date | None
    override_reason: str | None = Field(description="Why it was certified without full evidence")
    overridden_by: str | None
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
