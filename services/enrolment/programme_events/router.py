"""REST endpoints of programme events: thin, one service call each."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, status

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
from shared.db import SessionDep
from shared.identity import CurrentPrincipal
from shared.pagination import Page, PageParams

router = APIRouter(prefix="/programme-events", tags=["programme events"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Plan a mobilisation event, alumni network meeting or buyer-supplier meeting",
)
async def create_event(
    body: EventCreate, session: SessionDep, principal: CurrentPrincipal
) -> EventPublic:
    return await programme_event_service.create(session, body, principal=principal)


@router.get("", summary="The programme events of the projects you may see, oldest first")
async def list_events(
    session: SessionDep,
    principal: CurrentPrincipal,
    page: PageParams,
    project_id: Annotated[UUID | None, Query()] = None,
    kind: Annotated[EventKind | None, Query()] = None,
) -> Page[EventPublic]:
    return await programme_event_service.get_all(
        session, principal=principal, page=page, project_id=project_id, kind=kind
    )


@router.get("/{event_id}", summary="One programme event, with its invitation and attendee counts")
async def get_event(
    event_id: UUID, session: SessionDep, principal: CurrentPrincipal
) -> EventPublic:
    return await programme_event_service.get(session, event_id, principal=principal)


@router.patch("/{event_id}", summary="Change an event's title, date, venue, organiser or notes")
async def update_event(
    event_id: UUID, body: EventUpdate, session: SessionDep, principal: CurrentPrincipal
) -> EventPublic:
    return await programme_event_service.update(session, event_id, body, principal=principal)


@router.post("/{event_id}/cancel", summary="Cancel an event, saying why (again: no change)")
async def cancel_event(
    event_id: UUID, body: EventCancel, session: SessionDep, principal: CurrentPrincipal
) -> EventPublic:
    return await programme_event_service.cancel(session, event_id, body, principal=principal)


@router.put(
    "/{event_id}/invitations/{enterprise_id}",
    summary="Invite an enterprise (and named people); an alumni meeting invites alumni only",
)
async def invite(
    event_id: UUID,
    enterprise_id: UUID,
    body: InvitationPut,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> InvitationPublic:
    return await programme_event_service.invite(
        session, event_id, enterprise_id, body, principal=principal
    )


@router.get("/{event_id}/invitations", summary="The enterprises invited (those you may see)")
async def list_invitations(
    event_id: UUID, session: SessionDep, principal: CurrentPrincipal
) -> list[InvitationPublic]:
    return await programme_event_service.invitations(session, event_id, principal=principal)


@router.put(
    "/{event_id}/attendance",
    summary="Record who attended, by enterprise, role and sex (replaces your part of the register)",
)
async def record_attendance(
    event_id: UUID, body: AttendanceSheet, session: SessionDep, principal: CurrentPrincipal
) -> AttendancePublic:
    return await programme_event_service.record_attendance(
        session, event_id, body, principal=principal
    )


@router.get("/{event_id}/attendance", summary="Who attended (your enterprises' people), by sex")
async def get_attendance(
    event_id: UUID, session: SessionDep, principal: CurrentPrincipal
) -> AttendancePublic:
    return await programme_event_service.attendance(session, event_id, principal=principal)
