"""Contracts of the implementation records: EITs, improvement projects, satisfaction."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from shared.decimals import PlainDecimal
from shared.enums import ParticipantRole, Sex
from shared.geo import CurrencyCode

# The earliest and latest UTC offsets in use; a date is "in the future" only when it is
# after today everywhere, so a meeting recorded in Karachi shortly after midnight is not
# refused because it is still yesterday in UTC.
_LATEST_OFFSET = timedelta(hours=14)


def latest_today() -> date:
    """Today's date where the day is furthest ahead (UTC+14)."""
    return (datetime.now(UTC) + _LATEST_OFFSET).date()


def _not_in_future(value: date) -> date:
    if value > latest_today():
        raise PydanticCustomError(
            "date_in_future", "{value} is in the future", {"value": value.isoformat()}
        )
    return value


PastDate = Annotated[date, AfterValidator(_not_in_future)]
Slug = Annotated[str, Field(min_length=2, max_length=60, pattern=r"^[a-z0-9_]+$")]
ModuleCode = Annotated[
    str,
    Field(min_length=2, max_length=40, pattern=r"^[a-z0-9_]+$", examples=["workplace_cooperation"]),
]
PersonName = Annotated[str, Field(min_length=2, max_length=200)]
PhotoReference = Annotated[
    str,
    Field(
        min_length=1,
        max_length=500,
        description="A URI or a storage key of the photo",
        examples=["s3://score-photos/pk/warehouse-before.jpg"],
    ),
]
Money = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=2, examples=["150000.00"])]
Headcount = Annotated[int, Field(ge=0, le=10_000)]


# --- Enterprise Improvement Team -------------------------------------------------------

# Gender balance: women make up between 40% and 60% of the current members (bounds
# included), the usual reading of "gender-balanced" in ILO reporting.
BALANCE_MIN_WOMEN_PCT = 40
BALANCE_MAX_WOMEN_PCT = 60
# "Meets regularly": the domain's example is twice a month, so at least two meetings
# held in the last 60 days.
REGULAR_MEETINGS = 2
REGULAR_WINDOW_DAYS = 60


class TeamPut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    formed_on: PastDate
    meeting_frequency: str | None = Field(
        default=None, min_length=1, max_length=60, examples=["twice a month"]
    )


class MemberCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: PersonName
    role: ParticipantRole
    sex: Sex
    position_title: str | None = Field(default=None, max_length=100)
    joined_on: PastDate | None = None


class MemberState(MemberCreate):
    """A member as stored, judged after a partial update."""

    left_on: PastDate | None = None

    @field_validator("left_on")
    @classmethod
    def _left_after_joining(cls, value: date | None, info: ValidationInfo) -> date | None:
        joined = info.data.get("joined_on")
        if value is not None and joined is not None and value < joined:
            raise PydanticCustomError(
                "date_order",
                "left_on ({left}) is before joined_on ({joined})",
                {"left": value.isoformat(), "joined": joined.isoformat()},
            )
        return value


class MemberUpdate(BaseModel):
    """A partial update; unspecified fields keep their value. ``left_on: null`` rejoins."""

    model_config = ConfigDict(extra="forbid")

    name: PersonName | None = None
    role: ParticipantRole | None = None
    sex: Sex | None = None
    position_title: str | None = Field(default=None, max_length=100)
    joined_on: PastDate | None = None
    left_on: PastDate | None = None


class MemberPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    name: str
    role: ParticipantRole
    sex: Sex
    position_title: str | None
    joined_on: date | None
    left_on: date | None


class MeetingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    held_on: PastDate
    attendees_female: Headcount = 0
    attendees_male: Headcount = 0
    topics: str | None = Field(default=None, max_length=2000, examples=["5S audit results"])
    minutes_reference: str | None = Field(
        default=None, max_length=300, description="A URI or storage key of the minutes"
    )


class MeetingPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    held_on: date
    attendees_female: int
    attendees_male: int
    topics: str | None
    minutes_reference: str | None


class SexCounts(BaseModel):
    """Members by sex; the four parts add up to the total."""

    female: int = 0
    male: int = 0
    other: int = 0
    not_disclosed: int = 0
    total: int = 0


class Composition(BaseModel):
    """Current members (those who have not left) by role and sex."""

    managers: SexCounts
    workers: SexCounts
    total: int
    women: int
    women_share_pct: float | None = Field(description="null when the team has no members")
    gender_balanced: bool = Field(
        description=f"Women make up {BALANCE_MIN_WOMEN_PCT}% to {BALANCE_MAX_WOMEN_PCT}% "
        "of the current members (bounds included)"
    )


class TeamPublic(BaseModel):
    id: UUID
    enterprise_id: UUID
    formed_on: date
    meeting_frequency: str | None
    members: list[MemberPublic] = Field(description="Current members")
    composition: Composition
    in_place: bool = Field(
        description="At least one manager and one worker are current members: managers and "
        "workers improving together"
    )
    meeting_count: int
    last_meeting_on: date | None
    meets_regularly: bool = Field(
        description=f"At least {REGULAR_MEETINGS} meetings held in the last "
        f"{REGULAR_WINDOW_DAYS} days"
    )
    created_at: datetime
    updated_at: datetime | None


# --- improvement projects --------------------------------------------------------------


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
            return _not_in_future(value)
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


# --- satisfaction ----------------------------------------------------------------------


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
    other: SatisfactionGroup
    not_disclosed: SatisfactionGroup


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


def percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None
