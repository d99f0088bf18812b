"""REST endpoints for calls for expression of interest and applications: thin, one call each."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Query, status

from services.enrolment.calls.repository import ApplicationOrder
from services.enrolment.calls.schemas import (
    ApplicationCreate,
    ApplicationPublic,
    ApplicationUpdate,
    CallCreate,
    CallPublic,
    CriteriaUpdate,
    CriteriaVersionPublic,
    ShortlistPublic,
    ShortlistRequest,
)
from services.enrolment.calls.service import application_service, call_service
from shared.db import SessionDep
from shared.enums import ApplicationOutcome
from shared.identity import CurrentPrincipal
from shared.pagination import Page, PageParams
from shared.request_guard import INT32_MAX

router = APIRouter(tags=["calls"])


@router.post(
    "/calls",
    status_code=status.HTTP_201_CREATED,
    summary="Open a call for expression of interest with its first criteria version",
)
async def create_call(
    body: CallCreate,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> CallPublic:
    return await call_service.create(session, body, principal=principal)


@router.get("/calls", summary="Calls for expression of interest (public announcements)")
async def list_calls(
    session: SessionDep,
    principal: CurrentPrincipal,
    page: PageParams,
    project_id: UUID | None = None,
    is_open: Annotated[
        bool | None, Query(alias="open", description="Only calls accepting applications now")
    ] = None,
) -> Page[CallPublic]:
    return await call_service.get_all(
        session, principal=principal, page=page, project_id=project_id, is_open=is_open
    )


@router.get("/calls/{call_id}", summary="One call with its current criteria")
async def get_call(call_id: UUID, session: SessionDep, principal: CurrentPrincipal) -> CallPublic:
    return await call_service.get(session, call_id, principal=principal)


@router.put(
    "/calls/{call_id}/criteria",
    summary="Publish a new criteria version; open applications are judged again",
    description="The same criteria and questions as the current version answer that version: "
    "no new one is published and nothing is judged again (a retry is harmless).",
)
async def update_criteria(
    call_id: UUID, body: CriteriaUpdate, session: SessionDep, principal: CurrentPrincipal
) -> CallPublic:
    return await call_service.update_criteria(session, call_id, body, principal=principal)


@router.get(
    "/calls/{call_id}/criteria/{version}", summary="One criteria version of a call, as published"
)
async def get_criteria_version(
    call_id: UUID,
    version: Annotated[int, Path(ge=1, le=INT32_MAX)],
    session: SessionDep,
    principal: CurrentPrincipal,
) -> CriteriaVersionPublic:
    return await call_service.get_criteria_version(session, call_id, version, principal=principal)


@router.post(
    "/calls/{call_id}/applications",
    status_code=status.HTTP_201_CREATED,
    summary="Apply for an enterprise; judged at once, with an explanation per criterion",
)
async def create_application(
    call_id: UUID,
    body: ApplicationCreate,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> ApplicationPublic:
    return await application_service.create(session, call_id, body, principal=principal)


@router.get("/calls/{call_id}/applications", summary="The call's applications you may see")
async def list_applications(
    call_id: UUID,
    session: SessionDep,
    principal: CurrentPrincipal,
    page: PageParams,
    outcome: ApplicationOutcome | None = None,
    order: Annotated[
        ApplicationOrder,
        Query(description="`ranked`: priority score, then earlier submission first"),
    ] = "submitted",
) -> Page[ApplicationPublic]:
    return await application_service.get_all(
        session, call_id, principal=principal, page=page, outcome=outcome, order=order
    )


@router.post(
    "/calls/{call_id}/shortlist",
    summary="Shortlist the best-ranked eligible applications up to the call's capacity",
)
async def shortlist_call(
    call_id: UUID,
    session: SessionDep,
    principal: CurrentPrincipal,
    body: ShortlistRequest | None = None,
) -> ShortlistPublic:
    return await call_service.shortlist(
        session, call_id, body or ShortlistRequest(), principal=principal
    )


@router.get("/applications/{application_id}", summary="One application and its explanation")
async def get_application(
    application_id: UUID, session: SessionDep, principal: CurrentPrincipal
) -> ApplicationPublic:
    return await application_service.get(session, application_id, principal=principal)


@router.patch(
    "/applications/{application_id}",
    summary="Add or correct declarations while the call is open; judged again",
)
async def update_application(
    application_id: UUID,
    body: ApplicationUpdate,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> ApplicationPublic:
    return await application_service.update(session, application_id, body, principal=principal)
