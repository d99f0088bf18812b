"""GraphQL types and mutations of programme events (the REST routes' service calls,
shared/mutations.py)."""

from datetime import date, datetime
from typing import Annotated, Any, Self

import strawberry

from services.enrolment.graphql.types import Info
from services.enrolment.programme_events.schemas import (
    AttendancePublic,
    AttendanceSheet,
    EventCancel,
    EventCreate,
    EventKind,
    EventPublic,
    EventUpdate,
    InvitationPublic,
    InvitationPut,
)
from services.enrolment.programme_events.service import programme_event_service
from shared import enums
from shared.graphql import parse_id
from shared.mutations import Failure, mutate, parse_model

strawberry.enum(EventKind, name="ProgrammeEventKind")


def _id(value: Any) -> strawberry.ID:
    return strawberry.ID(str(value))


@strawberry.type(description="A mobilisation event, alumni network meeting or buyer meeting")
class ProgrammeEvent:
    id: strawberry.ID
    project_id: strawberry.ID
    kind: EventKind
    title: str
    held_on: date
    venue: str | None
    online: bool
    organiser: str
    notes: str | None
    cancelled: bool
    cancel_reason: str | None
    invited_enterprises: int = strawberry.field(description="Of the enterprises you may see")
    attendees: int = strawberry.field(description="Of the enterprises you may see")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_model(cls, event: EventPublic) -> Self:
        return cls(
            id=_id(event.id),
            project_id=_id(event.project_id),
            kind=event.kind,
            title=event.title,
            held_on=event.held_on,
            venue=event.venue,
            online=event.online,
            organiser=event.organiser,
            notes=event.notes,
            cancelled=event.cancelled,
            cancel_reason=event.cancel_reason,
            invited_enterprises=event.invited_enterprises,
            attendees=event.attendees,
            created_at=event.created_at,
            updated_at=event.updated_at,
        )


@strawberry.type
class ProgrammeEventConnection:
    items: list[ProgrammeEvent]
    next_cursor: str | None


@strawberry.type(description="An enterprise invited to a programme event")
class EventInvitation:
    event_id: strawberry.ID
    enterprise_id: strawberry.ID
    people: list[str]
    invited_at: datetime

    @classmethod
    def from_model(cls, invitation: InvitationPublic) -> Self:
        return cls(
            event_id=_id(invitation.event_id),
            enterprise_id=_id(invitation.enterprise_id),
            people=list(invitation.people),
            invited_at=invitation.invited_at,
        )


@strawberry.type(description="A person who attended a programme event for an enterprise")
class EventAttendee:
    id: strawberry.ID
    enterprise_id: strawberry.ID
    name: str
    role: enums.ParticipantRole
    sex: enums.Sex


@strawberry.type(description="Who attended (your enterprises' people); by sex parts = total")
class EventAttendance:
    event_id: strawberry.ID
    records: list[EventAttendee]
    attendees: int
    enterprises: int
    female: int
    male: int
    other_sex: int
    sex_not_disclosed: int

    @classmethod
    def from_model(cls, sheet: AttendancePublic) -> Self:
        return cls(
            event_id=_id(sheet.event_id),
            records=[
                EventAttendee(
                    id=_id(record.id),
                    enterprise_id=_id(record.enterprise_id),
                    name=record.name,
                    role=record.role,
                    sex=record.sex,
                )
                for record in sheet.records
            ],
            attendees=sheet.attendees,
            enterprises=sheet.enterprises,
            female=sheet.female,
            male=sheet.male,
            other_sex=sheet.other_sex,
            sex_not_disclosed=sheet.sex_not_disclosed,
        )


ProgrammeEventResult = Annotated[ProgrammeEvent | Failure, strawberry.union("ProgrammeEventResult")]
EventInvitationResult = Annotated[
    EventInvitation | Failure, strawberry.union("EventInvitationResult")
]
EventAttendanceResult = Annotated[
    EventAttendance | Failure, strawberry.union("EventAttendanceResult")
]


@strawberry.input
class CreateProgrammeEventInput:
    project_id: strawberry.ID
    kind: EventKind
    title: str
    held_on: date
    organiser: str
    venue: str | None = strawberry.UNSET
    online: bool | None = strawberry.UNSET
    notes: str | None = strawberry.UNSET


@strawberry.input
class UpdateProgrammeEventInput:
    title: str | None = strawberry.UNSET
    held_on: date | None = strawberry.UNSET
    venue: str | None = strawberry.UNSET
    online: bool | None = strawberry.UNSET
    organiser: str | None = strawberry.UNSET
    notes: str | None = strawberry.UNSET


@strawberry.input
class CancelProgrammeEventInput:
    reason: str


@strawberry.input
class InviteToProgrammeEventInput:
    people: list[str] | None = strawberry.UNSET


@strawberry.input
class EventAttendeeInput:
    enterprise_id: strawberry.ID
    name: str
    role: enums.ParticipantRole
    sex: enums.Sex


@strawberry.input
class EventAttendanceInput:
    attendees: list[EventAttendeeInput]


async def create_programme_event(
    info: Info, input: CreateProgrammeEventInput
) -> ProgrammeEventResult:
    context = info.context
    return await mutate(
        context,
        lambda session: programme_event_service.create(
            session, parse_model(EventCreate, input), principal=context.principal
        ),
        ProgrammeEvent.from_model,
    )


async def update_programme_event(
    info: Info, event_id: strawberry.ID, input: UpdateProgrammeEventInput
) -> ProgrammeEventResult:
    context = info.context
    return await mutate(
        context,
        lambda session: programme_event_service.update(
            session,
            parse_id(event_id, "eventId"),
            parse_model(EventUpdate, input),
            principal=context.principal,
        ),
        ProgrammeEvent.from_model,
    )


async def cancel_programme_event(
    info: Info, event_id: strawberry.ID, input: CancelProgrammeEventInput
) -> ProgrammeEventResult:
    context = info.context
    return await mutate(
        context,
        lambda session: programme_event_service.cancel(
            session,
            parse_id(event_id, "eventId"),
            parse_model(EventCancel, input),
            principal=context.principal,
        ),
        ProgrammeEvent.from_model,
    )


async def invite_to_programme_event(
    info: Info,
    event_id: strawberry.ID,
    enterprise_id: strawberry.ID,
    input: InviteToProgrammeEventInput,
) -> EventInvitationResult:
    context = info.context
    return await mutate(
        context,
        lambda session: programme_event_service.invite(
            session,
            parse_id(event_id, "eventId"),
            parse_id(enterprise_id, "enterpriseId"),
            parse_model(InvitationPut, input),
            principal=context.principal,
        ),
        EventInvitation.from_model,
    )


async def record_programme_event_attendance(
    info: Info, event_id: strawberry.ID, input: EventAttendanceInput
) -> EventAttendanceResult:
    context = info.context
    return await mutate(
        context,
        lambda session: programme_event_service.record_attendance(
            session,
            parse_id(event_id, "eventId"),
            parse_model(AttendanceSheet, input),
            principal=context.principal,
        ),
        EventAttendance.from_model,
    )


@strawberry.type
class ProgrammeEventMutations:
    create_programme_event: ProgrammeEventResult = strawberry.mutation(
        resolver=create_programme_event,
        description="Plan a programme event (POST /enrolment/programme-events)",
    )
    update_programme_event: ProgrammeEventResult = strawberry.mutation(
        resolver=update_programme_event,
        description="Change a programme event (PATCH /enrolment/programme-events/{id})",
    )
    cancel_programme_event: ProgrammeEventResult = strawberry.mutation(
        resolver=cancel_programme_event,
        description="Cancel a programme event (POST /enrolment/programme-events/{id}/cancel)",
    )
    invite_to_programme_event: EventInvitationResult = strawberry.mutation(
        resolver=invite_to_programme_event,
        description=(
            "Invite an enterprise (PUT /enrolment/programme-events/{id}/invitations/{enterpriseId})"
        ),
    )
    record_programme_event_attendance: EventAttendanceResult = strawberry.mutation(
        resolver=record_programme_event_attendance,
        description=(
            "Record who attended, replacing your part of the register "
            "(PUT /enrolment/programme-events/{id}/attendance)"
        ),
    )
