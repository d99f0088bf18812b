"""Assessment contracts: what is recorded, what is shown, and the module it suggests next."""

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from shared.enums import LifecycleStage

ModuleCode = Annotated[str, Field(min_length=2, max_length=40, pattern=r"^[a-z0-9_]+$")]


class AssessmentKind(StrEnum):
    """Seed 002: the initial assessment (with the CEO meeting), the baseline before Level 1
    and the comprehensive baseline that decides Level 2."""

    initial = "initial"
    baseline = "baseline"
    comprehensive_baseline = "comprehensive_baseline"


class Finding(BaseModel):
    model_config = ConfigDict(extra="forbid")

    area: str = Field(min_length=2, max_length=100, examples=["Quality management"])
    score: int | None = Field(
        default=None, ge=1, le=5, description="1 (weak) to 5 (strong); null: not scored"
    )
    finding: str = Field(min_length=1, max_length=2000)


class AssessmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: AssessmentKind
    assessed_on: date = Field(description="Not in the future")
    assessor: str = Field(min_length=2, max_length=200)
    assessor_trainer_id: UUID | None = Field(
        default=None, description="When the assessor is a trainer of the enterprise's partner"
    )
    findings: list[Finding] = Field(min_length=1, max_length=50)
    priority_modules: list[ModuleCode] = Field(
        default_factory=list,
        max_length=20,
        description="Catalogue codes, most urgent first; cohort planning follows them",
    )
    notes: str | None = Field(default=None, max_length=4000)


class AssessmentPublic(BaseModel):
    id: UUID
    enrolment_id: UUID
    enterprise_id: UUID
    project_id: UUID
    kind: AssessmentKind
    assessed_on: date
    assessor: str
    assessor_trainer_id: UUID | None
    findings: list[Finding]
    priority_modules: list[str]
    notes: str | None
    recorded_by: str
    created_at: datetime
    stage: LifecycleStage = Field(description="The enrolment's stage once it was recorded")


class NextModule(BaseModel):
    enrolment_id: UUID
    module_code: str | None = Field(description="Null: nothing left to suggest")
    reason: str
    assessment_id: UUID | None = Field(description="The assessment whose priorities it follows")
