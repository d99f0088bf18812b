"""REST endpoints of Enterprise Improvement Teams: thin, one service call each."""

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response, status

from services.indicators.teams.schemas import (
    MeetingCreate,
    MeetingPublic,
    MemberCreate,
    MemberPublic,
    MemberUpdate,
    TeamPublic,
    TeamPut,
)
from services.indicators.teams.service import team_service
from shared.db import SessionDep
from shared.identity import CurrentPrincipal

router = APIRouter(tags=["implementation"])


@router.put(
    "/enterprises/{enterprise_id}/eit",
    summary="Form the Enterprise Improvement Team, or correct when it formed (201 when formed)",
    responses={201: {"description": "The team was formed", "model": TeamPublic}},
)
async def put_team(
    enterprise_id: UUID,
    body: TeamPut,
    session: SessionDep,
    principal: CurrentPrincipal,
    response: Response,
) -> TeamPublic:
    team, formed = await team_service.put(session, enterprise_id, body, principal=principal)
    if formed:
        response.status_code = status.HTTP_201_CREATED
    return team


@router.get(
    "/enterprises/{enterprise_id}/eit",
    summary="The team: current members, composition by role and sex, meetings",
)
async def get_team(
    enterprise_id: UUID, session: SessionDep, principal: CurrentPrincipal
) -> TeamPublic:
    return await team_service.get(session, enterprise_id, principal=principal)


@router.get("/enterprises/{enterprise_id}/eit/members", summary="The team's members")
async def list_members(
    enterprise_id: UUID,
    session: SessionDep,
    principal: CurrentPrincipal,
    include_former: Annotated[bool, Query(description="Also members who left")] = False,
) -> list[MemberPublic]:
    return await team_service.members(
        session, enterprise_id, principal=principal, include_former=include_former
    )


@router.post(
    "/enterprises/{enterprise_id}/eit/members",
    status_code=status.HTTP_201_CREATED,
    summary="Add a manager or worker to the team",
)
async def add_member(
    enterprise_id: UUID, body: MemberCreate, session: SessionDep, principal: CurrentPrincipal
) -> MemberPublic:
    return await team_service.add_member(session, enterprise_id, body, principal=principal)


@router.patch(
    "/enterprises/{enterprise_id}/eit/members/{member_id}", summary="Correct a member's record"
)
async def update_member(
    enterprise_id: UUID,
    member_id: UUID,
    body: MemberUpdate,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> MemberPublic:
    return await team_service.update_member(
        session, enterprise_id, member_id, body, principal=principal
    )


@router.delete(
    "/enterprises/{enterprise_id}/eit/members/{member_id}",
    summary="A member leaves the team (kept with left_on, so past composition stays known)",
)
async def remove_member(
    enterprise_id: UUID,
    member_id: UUID,
    session: SessionDep,
    principal: CurrentPrincipal,
    left_on: Annotated[date | None, Query(description="Defaults to today")] = None,
) -> MemberPublic:
    return await team_service.remove_member(
        session, enterprise_id, member_id, left_on=left_on, principal=principal
    )


@router.post(
    "/enterprises/{enterprise_id}/eit/meetings",
    status_code=status.HTTP_201_CREATED,
    summary="Record a team meeting (one per date)",
)
async def record_meeting(
    enterprise_id: UUID, body: MeetingCreate, session: SessionDep, principal: CurrentPrincipal
) -> MeetingPublic:
    return await team_service.record_meeting(session, enterprise_id, body, principal=principal)


@router.get(
    "/enterprises/{enterprise_id}/eit/meetings", summary="The team's meetings, latest first"
)
async def list_meetings(
    enterprise_id: UUID,
    session: SessionDep,
    principal: CurrentPrincipal,
    since: Annotated[date | None, Query(description="Only meetings held on or after")] = None,
) -> list[MeetingPublic]:
    return await team_service.meetings(session, enterprise_id, principal=principal, since=since)
