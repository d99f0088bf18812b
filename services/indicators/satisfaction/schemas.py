"""Satisfaction survey contracts: responses and the published satisfaction rate."""

from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from services.indicators.fields import ModuleCode, percent
from shared.enums import ParticipantRole, Sex


class SatisfactionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enterprise_id: UUID
    cohort_id: UUID | None = Field(
        default=None, description="If given: a cohort the enterprise is in, of this module"
    )
    participant_id: UUID
    module_code: ModuleCode
    role: ParticipantRole
    sex: Sex
    rating: int = Field(ge=1, le=5, description="1 very dissatisfied .. 5 very satisfied")
    would_recommend: bool | None = None
    comments: str | None = Field(default=None, max_length=2000)
    rated_on: date | None = Field(
        default=None,
        description="The day the participant gave the rating (default: today). May be "
        "backdated, never into the future and never outside the project's period (the "
        "cohort's project, else a project the enterprise is enrolled in); reports date "
        "the rating by it.",
    )


class SatisfactionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    enterprise_id: UUID
    cohort_id: UUID | None
    participant_id: UUID
    module_code: str
    role: ParticipantRole
    sex: Sex
    rating: int
    would_recommend: bool | None
    comments: str | None
    rated_on: date
    submitted_at: datetime


class SatisfactionBatchResult(BaseModel):
    recorded: int
    items: list[SatisfactionPublic]


# A rating of 4 (satisfied) or 5 (very satisfied) counts as satisfied.
SATISFIED_RATING = 4


class SatisfactionGroup(BaseModel):
    n: int = Field(description="Responses")
    satisfied: int = Field(description=f"Responses rated {SATISFIED_RATING} or 5")
    satisfied_pct: float | None = Field(description="satisfied / n in %, 1 decimal; null if n=0")
    mean_rating: float | None = Field(description="2 decimals; null if n=0")


class BySex(BaseModel):
    female: SatisfactionGroup
    male: SatisfactionGroup


class ByRole(BaseModel):
    manager: SatisfactionGroup
    worker: SatisfactionGroup


class SatisfactionSummary(SatisfactionGroup):
    module_code: str | None
    cohort_id: UUID | None
    enterprise_id: UUID | None
    would_recommend_pct: float | None = Field(
        description="Share answering yes among those who answered, in %"
    )
    by_sex: BySex
    by_role: ByRole


def group(n: int, satisfied: int, rating_sum: int) -> SatisfactionGroup:
    return SatisfactionGroup(
        n=n,
        satisfied=satisfied,
        satisfied_pct=percent(satisfied, n),
        mean_rating=round(rating_sum / n, 2) if n else None,
    )
