"""REST endpoints of improvement projects: thin, one service call each."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, status

from services.indicators.fields import ModuleCode, Slug
from services.indicators.improvement_projects.schemas import (
    ProjectCreate,
    ProjectPublic,
    ProjectStatus,
    ProjectUpdate,
)
from services.indicators.improvement_projects.service import improvement_project_service
from shared.db import SessionDep
from shared.identity import CurrentPrincipal
from shared.pagination import Page, PageParams

router = APIRouter(tags=["implementation"])

ModuleFilter = Annotated[ModuleCode | None, Query()]


@router.post(
    "/enterprises/{enterprise_id}/improvement-projects",
    status_code=status.HTTP_201_CREATED,
    summary="Record an improvement project (5S in the warehouse, a suggestion box ...)",
)
async def create_project(
    enterprise_id: UUID, body: ProjectCreate, session: SessionDep, principal: CurrentPrincipal
) -> ProjectPublic:
    return await improvement_project_service.create(
        session, enterprise_id, body, principal=principal
    )


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
    return await improvement_project_service.get_for_enterprise(
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
    return await improvement_project_service.get_all(
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
    return await improvement_project_service.get(session, project_id, principal=principal)


@router.patch(
    "/improvement-projects/{project_id}",
    summary="Update a project; status: planned -> in_progress -> completed, or abandoned",
)
async def update_project(
    project_id: UUID, body: ProjectUpdate, session: SessionDep, principal: CurrentPrincipal
) -> ProjectPublic:
    return await improvement_project_service.update(session, project_id, body, principal=principal)
