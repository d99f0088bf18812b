"""REST endpoints of the indicators service: implementation records (EITs, improvement
projects, satisfaction). Thin: one service call each."""

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Query, Response, status

from services.indicators.implementation.projects import project_service
from services.indicators.implementation.satisfaction import satisfaction_service
from services.indicators.implementation.schemas import (
    MeetingCreate,
    MeetingPublic,
    MemberCreate,
    MemberPublic,
    MemberUpdate,
    ModuleCode,
    ProjectCreate,
    ProjectPublic,
    ProjectStatus,
    ProjectUpdate,
    SatisfactionBatchResult,
    SatisfactionIn,
    SatisfactionPublic,
    SatisfactionSummary,
    Slug,
    TeamPublic,
    TeamPut,
)
from services.indicators.implementation.teams import team_service
from shared.db import SessionDep
from shared.identity import CurrentPrincipal
from shared.pagination import Page, PageParams

router = APIRouter(tags=["implementation"])

ModuleFilter = Annotated[ModuleCode | None, Query()]

# --- Enterprise Improvement Team -------------------------------------------------------


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


# --- improvement projects --------------------------------------------------------------


@router.post(
    "/enterprises/{enterprise_id}/improvement-projects",
    status_code=status.HTTP_201_CREATED,
    summary="Record an improvement project (5S in the warehouse, a suggestion box ...)",
)
async def create_project(
    enterprise_id: UUID, body: ProjectCreate, session: SessionDep, principal: CurrentPrincipal
) -> ProjectPublic:
    return await project_service.create(session, enterprise_id, body, principal=principal)


@router.get(
    "/enterprises/{enterprise_id}/improvement-projects",
    summary="An enterprise's improvement projects",
)
async def list_enterprise_projects(
    enterprise_id: UUID,
    session: SessionDep,
    principal: CurrentPrincipal,
    page: PageParams,
    status: ProjectStatus | None = None,
    module_code: ModuleFilter = None,
    category: Annotated[Slug | None, Query()] = None,
) -> Page[ProjectPublic]:
    return await project_service.get_for_enterprise(
        session,
        enterprise_id,
        principal=principal,
        page=page,
        status=status,
        module_code=module_code,
        category=category,
    )


@router.get("/improvement-projects", summary="Improvement projects of the enterprises you see")
async def list_projects(
    session: SessionDep,
    principal: CurrentPrincipal,
    page: PageParams,
    enterprise_id: UUID | None = None,
    status: ProjectStatus | None = None,
    module_code: ModuleFilter = None,
    category: Annotated[Slug | None, Query()] = None,
) -> Page[ProjectPublic]:
    return await project_service.get_all(
        session,
        principal=principal,
        page=page,
        enterprise_id=enterprise_id,
        status=status,
        module_code=module_code,
        category=category,
    )


@router.get("/improvement-projects/{project_id}", summary="One improvement project")
async def get_project(
    project_id: UUID, session: SessionDep, principal: CurrentPrincipal
) -> ProjectPublic:
    return await project_service.get(session, project_id, principal=principal)


@router.patch(
    "/improvement-projects/{project_id}",
    summary="Update a project; status: planned -> in_progress -> completed, or abandoned",
)
async def update_project(
    project_id: UUID, body: ProjectUpdate, session: SessionDep, principal: CurrentPrincipal
) -> ProjectPublic:
    return await project_service.update(session, project_id, body, principal=principal)


# --- satisfaction ----------------------------------------------------------------------


@router.post(
    "/satisfaction-responses",
    status_code=status.HTTP_201_CREATED,
    summary="Record a participant's rating of a module (one per participant and module)",
)
async def record_satisfaction(
    body: SatisfactionIn,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> SatisfactionPublic:
    return await satisfaction_service.record(session, body, principal=principal)


@router.post(
    "/satisfaction-responses/batch",
    status_code=status.HTTP_201_CREATED,
    summary="Record many responses: all or nothing, errors named body.<index>.<field>",
)
async def record_satisfaction_batch(
    body: Annotated[list[SatisfactionIn], Body(min_length=1, max_length=1000)],
    session: SessionDep,
    principal: CurrentPrincipal,
) -> SatisfactionBatchResult:
    return await satisfaction_service.record_batch(session, body, principal=principal)


@router.get("/satisfaction-responses", summary="Responses of the enterprises you see")
async def list_satisfaction(
    session: SessionDep,
    principal: CurrentPrincipal,
    page: PageParams,
    enterprise_id: UUID | None = None,
    module_code: ModuleFilter = None,
    cohort_id: UUID | None = None,
) -> Page[SatisfactionPublic]:
    return await satisfaction_service.get_all(
        session,
        principal=principal,
        page=page,
        enterprise_id=enterprise_id,
        module_code=module_code,
        cohort_id=cohort_id,
    )


@router.get(
    "/satisfaction-summary",
    summary="Satisfaction rate (ratings of 4 or 5) over the responses you see, by sex and role",
)
async def satisfaction_summary(
    session: SessionDep,
    principal: CurrentPrincipal,
    enterprise_id: UUID | None = None,
    module_code: ModuleFilter = None,
    cohort_id: UUID | None = None,
) -> SatisfactionSummary:
    return await satisfaction_service.summary(
        session,
        principal=principal,
        enterprise_id=enterprise_id,
        module_code=module_code,
        cohort_id=cohort_id,
    )
