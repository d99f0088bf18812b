"""Commitment meeting contracts, and the declarations a meeting settles."""

from datetime import date, datetime
from enum import StrEnum
from typing import Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator
from pydantic_core import PydanticCustomError


class Commitment(StrEnum):
    """What the enterprise committed to at the meeting (seed 002, criterion 6)."""

    ceo_attends = "ceo_attends"
    senior_nominee = "senior_nominee"
    none = "none"


class Attendee(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=2, max_length=200)
    position: str = Field(min_length=2, max_length=200, examples=["Chief Executive Officer"])
    decision_maker: StrictBool = Field(
        default=False, description="The CEO or main decision maker of the enterprise"
    )


class MeetingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    held_on: date = Field(description="Not in the future")
    attendees: list[Attendee] = Field(min_length=1, max_length=30)
    commitment: Commitment
    nominee_name: str | None = Field(default=None, min_length=2, max_length=200)
    nominee_position: str | None = Field(default=None, min_length=2, max_length=200)
    nominee_decision_authority: StrictBool | None = Field(
        default=None, description="The nominee has direct decision-making authority"
    )
    notes: str | None = Field(default=None, max_length=4000)

    @model_validator(mode="after")
    def _nominee_named_only_for_a_nominee(self) -> Self:
        named = (self.nominee_name, self.nominee_position, self.nominee_decision_authority)
        if self.commitment is Commitment.senior_nominee and None in named:
            raise PydanticCustomError(
                "nominee_named",
                "a senior nominee is named: nominee_name, nominee_position and "
                "nominee_decision_authority are required",
            )
        if self.commitment is not Commitment.senior_nominee and any(n is not None for n in named):
            raise PydanticCustomError(
                "nominee_named", "a nominee is named only when the commitment is senior_nominee"
            )
        if not any(attendee.decision_maker for attendee in self.attendees):
            raise PydanticCustomError(
                "decision_maker_present",
                "the meeting is held with the CEO or main decision maker: mark who attended "
                "as decision_maker",
            )
        return self


class MeetingPublic(BaseModel):
    id: UUID
    application_id: UUID
    held_on: date
    attendees: list[Attendee]
    commitment: Commitment
    nominee_name: str | None
    nominee_position: str | None
    nominee_decision_authority: bool | None
    notes: str | None
    recorded_by: str
    created_at: datetime


# The application's declarations a meeting settles, by what was committed there.
SETTLED_FIELDS = ("ceo_attends_workshops", "senior_nominee_with_authority")


def settled(commitment: Commitment, nominee_decision_authority: bool | None) -> dict[str, bool]:
    return {
        "ceo_attends_workshops": commitment is Commitment.ceo_attends,
        "senior_nominee_with_authority": commitment is Commitment.senior_nominee
        and nominee_decision_authority is True,
    }
