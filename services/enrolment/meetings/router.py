"""REST endpoints for commitment meetings: thin, one service call each."""

from uuid import UUID

from fastapi import APIRouter, status

from services.enrolment.meetings.schemas import MeetingCreate, MeetingPublic
from services.enrolment.meetings.service import meeting_service
from shared.db import SessionDep
from shared.identity import CurrentPrincipal

router = APIRouter(tags=["calls"])


@router.post(
    "/applications/{application_id}/meetings",
    status_code=status.HTTP_201_CREATED,
    summary="Record the meeting with the CEO; its commitment enters the criteria evaluation",
)
async def create_meeting(
    application_id: UUID, body: MeetingCreate, session: SessionDep, principal: CurrentPrincipal
) -> MeetingPublic:
    return await meeting_service.create(session, application_id, body, principal=principal)


@router.get(
    "/applications/{application_id}/meetings",
    summary="The application's commitment meetings, oldest first",
)
async def list_meetings(
    application_id: UUID, session: SessionDep, principal: CurrentPrincipal
) -> list[MeetingPublic]:
    return await meeting_service.get_all(session, application_id, principal=principal)
