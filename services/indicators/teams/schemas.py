"""Enterprise Improvement Team contracts: the team, its members and meetings."""

from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from services.indicators.fields import Headcount, PastDate, PersonName
from shared.enums import ParticipantRole, Sex

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
    female: int = 0
    male: int = 0
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
