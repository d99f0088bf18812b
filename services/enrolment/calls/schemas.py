"""Call, criteria, application and shortlist request and response contracts."""

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    StrictBool,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from services.enrolment.calls.questions import Answers, CallQuestion, QuestionList
from services.enrolment.calls.rules import CriterionResult, CriterionSpec, validate_criteria_set
from shared.enums import ApplicationOutcome, LifecycleStage
from shared.schemas import Instant


def _usable_criteria(criteria: list[CriterionSpec]) -> list[CriterionSpec]:
    # Checked on the field (not the set model) so the error is reported at body.criteria.
    if not criteria:
        raise PydanticCustomError(
            "empty_criteria_set",
            "a call needs at least one criterion; an empty set would admit everyone",
        )
    try:
        validate_criteria_set(criteria)
    except ValueError as exc:
        raise PydanticCustomError(
            "unique_criterion_keys", "{reason}", {"reason": str(exc)}
        ) from exc
    return criteria


CriteriaList = Annotated[
    list[CriterionSpec],
    Field(max_length=100, description="Hard criteria must pass; priority criteria rank"),
    AfterValidator(_usable_criteria),
]


class CallCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    project_id: UUID
    title: str = Field(min_length=2, max_length=200, examples=["SCORE Pakistan 2018 call"])
    description: str | None = Field(default=None, max_length=5000)
    opens_on: date | None = None
    deadline: Instant = Field(
        description="Applications after this instant are refused; needs a timezone",
        examples=["2018-08-10T23:59:59+05:00"],
    )
    capacity: int | None = Field(
        default=None, ge=1, le=100_000, description="Places on the shortlist"
    )
    criteria: CriteriaList
    questions: QuestionList = Field(
        default_factory=list,
        description="The call's own questions; criteria read their answers by key",
    )

    # Declared after opens_on, so info.data already holds it.
    @field_validator("deadline")
    @classmethod
    def _deadline_after_opening(cls, value: datetime, info: ValidationInfo) -> datetime:
        opens_on = info.data.get("opens_on")
        if opens_on is not None and value.date() < opens_on:
            raise PydanticCustomError(
                "deadline_before_opening",
                "deadline ({deadline}) is before opens_on ({opens_on})",
                {"deadline": value.isoformat(), "opens_on": opens_on.isoformat()},
            )
        return value


class CriteriaUpdate(BaseModel):
    """A new criteria version for a call: the same shape as a preset file."""

    model_config = ConfigDict(extra="forbid")

    criteria: CriteriaList
    questions: QuestionList = Field(default_factory=list)


class CallPublic(BaseModel):
    id: UUID
    project_id: UUID
    title: str
    description: str | None
    opens_on: date | None
    deadline: datetime
    capacity: int | None
    is_open: bool = Field(description="Applications are accepted now")
    criteria_version: int
    criteria: list[CriterionSpec]
    questions: list[CallQuestion]
    created_at: datetime


class CriteriaVersionPublic(BaseModel):
    call_id: UUID
    version: int
    criteria: list[CriterionSpec]
    questions: list[CallQuestion]
    created_by: str
    created_at: datetime


class ApplicationAnswers(BaseModel):
    """The enterprise's declarations; an unanswered one makes its criterion unknown."""

    model_config = ConfigDict(extra="forbid")

    willing_to_share_order_status: StrictBool | None = Field(
        default=None, description="Shares confirmed and pipeline orders for the next 12 months"
    )
    willing_to_share_baseline_data: StrictBool | None = Field(
        default=None, description="Shares productivity and working-conditions data"
    )
    willing_to_hire_key_staff: StrictBool | None = Field(
        default=None, description="Hires an HR officer, compliance officer and engineer if selected"
    )
    ceo_attends_workshops: StrictBool | None = None
    senior_nominee_with_authority: StrictBool | None = Field(
        default=None, description="A senior officer with decision-making authority attends"
    )
    questions: Answers | None = None


# The enterprise profile fields an application is judged on, next to the answers.
PROFILE_SNAPSHOT_FIELDS: tuple[str, ...] = (
    "country",
    "sector",
    "sub_sector",
    "ownership",
    "women_led",
    "workforce_total",
    "workforce_permanent",
    "workforce_female",
    "workforce_male",
    "has_hr_officer",
    "has_compliance_officer",
    "has_industrial_engineer",
)
ANSWER_FIELDS: tuple[str, ...] = tuple(
    field for field in ApplicationAnswers.model_fields if field != "questions"
)
SNAPSHOT_FIELDS: tuple[str, ...] = PROFILE_SNAPSHOT_FIELDS + ANSWER_FIELDS


class ApplicationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enterprise_id: UUID
    answers: ApplicationAnswers = Field(default_factory=ApplicationAnswers)


class ApplicationUpdate(BaseModel):
    """Answers to add or correct while the call is open; unspecified ones keep their value."""

    model_config = ConfigDict(extra="forbid")

    answers: ApplicationAnswers


class ApplicationPublic(BaseModel):
    id: UUID
    call_id: UUID
    project_id: UUID
    enterprise_id: UUID
    answers: dict[str, JsonValue]
    submitted_at: datetime
    outcome: ApplicationOutcome | None
    priority_score: float
    criteria_version: int | None
    evaluation: list[CriterionResult] = Field(description="One explained result per criterion")
    input_snapshot: dict[str, JsonValue] = Field(description="The exact inputs judged on")
    evaluated_at: datetime | None
    shortlisted: bool


class ShortlistRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int | None = Field(
        default=None, ge=1, le=100_000, description="Places to fill instead of the call's capacity"
    )


class ShortlistEntry(BaseModel):
    rank: int
    application_id: UUID
    enterprise_id: UUID
    outcome: ApplicationOutcome | None
    priority_score: float
    submitted_at: datetime
    shortlisted: bool
    stage: LifecycleStage


class ShortlistPublic(BaseModel):
    call_id: UUID
    places: int
    shortlisted_count: int
    entries: list[ShortlistEntry] = Field(
        description="Eligible (and already shortlisted) applications in rank order"
    )
