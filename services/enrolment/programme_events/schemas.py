"""Programme event contracts: the event, its invitations and its attendance register."""

from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from services.enrolment.trainers.schemas import PersonName
from shared.enums import ParticipantRole, Sex
from shared.schemas import Reason


class EventKind(StrEnum):
    """What the event is for (seeds 000, 001)."""

    # Mobilisation and awareness events: recruiting the next batch of enterprises.
    mobilisation = "mobilisation"
    # Alumni network meetings: for enterprises that completed SCORE (the alumni stage).
    alumni_meeting = "alumni_meeting"
    buyer_supplier_meeting = "buyer_supplier_meeting"
    other = "other"


class EventCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    project_id: UUID
    kind: EventKind
    title: str = Field(min_length=2, max_length=200)
    held_on: date
    venue: str | None = Field(default=None, min_length=2, max_length=300)
    online: StrictBool = Field(default=False, description="Held online (then venue is optional)")
    organiser: str = Field(min_length=2, max_length=200, examples=["ILO Pakistan (ILES)"])
    notes: str | None = Field(default=None, max_length=4000)


class EventUpdate(BaseModel):
    """Omitted fields keep their value; the project and kind of an event do not change."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=2, max_length=200)
    held_on: date | None = None
    venue: str | None = Field(default=None, min_length=2, max_length=300)
    online: StrictBool | None = None
    organiser: str | None = Field(default=None, min_length=2, max_length=200)
    notes: str | None = Field(default=None, max_length=4000)


class EventCancel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason


class EventPublic(BaseModel):
    id: UUID
    project_id: UUID
    kind: EventKind
    title: str
    held_on: date
    venue: str | None
    online: bool
    organiser: str
    notes: str | None
    cancelled: bool
    cancel_reason: str | None
    # Of the enterprises the caller may see.
    invited_enterprises: int
    attendees: int
    created_by: str
    created_at: datetime
    updated_at: datetime


class InvitationPut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    people: list[PersonName] = Field(
        default_factory=list, max_length=50, description="People invited by name, if any"
    )


class InvitationPublic(BaseModel):
    event_id: UUID
    enterprise_id: UUID
    people: list[str]
    invited_by: str
    invited_at: datetime


class AttendeeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enterprise_id: UUID
    name: PersonName
    role: ParticipantRole
    sex: Sex


class AttendanceSheet(BaseModel):
    """The whole register: recording it again replaces it (a retry changes nothing)."""

    model_config = ConfigDict(extra="forbid")

    attendees: list[AttendeeIn] = Field(max_length=500)


class AttendeePublic(BaseModel):
    id: UUID
    enterprise_id: UUID
    name: str
    role: ParticipantRole
    sex: Sex


class AttendancePublic(BaseModel):
    event_id: UUID
    # Of the enterprises the caller may see; by sex the parts add up to ``attendees``.
    records: list[AttendeePublic]
    attendees: int
    enterprises: int
    female: int
    male: int
    other_sex: int
    sex_not_disclosed: int
