"""REST endpoints for organisations and projects."""

from uuid import UUID

from fastapi import APIRouter, status

from services.enrolment.organisations.schemas import (
    OrganisationCreate,
    OrganisationPublic,
    ProjectCreate,
    ProjectPublic,
)
from services.enrolment.organisations.service import organisation_service, project_service
from shared.db import SessionDep
from shared.enums import OrganisationKind
from shared.identity import CurrentPrincipal
from shared.pagination import Page, PageParams

router = APIRouter(tags=["organisations"])


@router.post(
    "/organisations", status_code=status.HTTP_201_CREATED, summary="Register an organisation (ILO)"
)
async def create_organisation(
    body: OrganisationCreate, session: SessionDep, principal: CurrentPrincipal
) -> OrganisationPublic:
    return await organisation_service.create(session, body, principal=principal)


@router.get("/organisations", summary="Partners, lead buyers and funders")
async def list_organisations(
    session: SessionDep,
    principal: CurrentPrincipal,
    page: PageParams,
    kind: OrganisationKind | None = None,
) -> Page[OrganisationPublic]:
    del principal  # any authenticated caller may read the directory
    return await organisation_service.get_all(session, page=page, kind=kind)


@router.get("/organisations/{organisation_id}", summary="One organisation")
async def get_organisation(
    organisation_id: UUID, session: SessionDep, principal: CurrentPrincipal
) -> OrganisationPublic:
    del principal
    return await organisation_service.get(session, organisation_id)


@router.post("/projects", status_code=status.HTTP_201_CREATED, summary="Create a project (ILO)")
async def create_project(
    body: ProjectCreate, session: SessionDep, principal: CurrentPrincipal
) -> ProjectPublic:
    return await project_service.create(session, body, principal=principal)


@router.get("/projects", summary="Projects you may see")
async def list_projects(
    session: SessionDep, principal: CurrentPrincipal, page: PageParams
) -> Page[ProjectPublic]:
    return await project_service.get_all(session, principal=principal, page=page)


@router.get("/projects/{project_id}", summary="One project")
async def get_project(
    project_id: UUID, session: SessionDep, principal: CurrentPrincipal
) -> ProjectPublic:
    return await project_service.get(session, project_id, principal=principal)
