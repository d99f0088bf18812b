"""REST endpoints for enterprises: thin, one service call each."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response, status

from services.enrolment.enterprises.schemas import (
    EnterpriseCreate,
    EnterprisePublic,
    EnterpriseUpdate,
)
from services.enrolment.enterprises.service import enterprise_service
from shared.db import SessionDep, reads_only
from shared.identity import CurrentPrincipal
from shared.pagination import Page, PageParams
from shared.row_pages import RowSerializer

router = APIRouter(prefix="/enterprises", tags=["enterprises"])
ENTERPRISE_PAGE = RowSerializer(EnterprisePublic)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Register an enterprise (likely duplicates are flagged, not merged)",
)
async def register_enterprise(
    body: EnterpriseCreate,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> EnterprisePublic:
    return await enterprise_service.create(session, body, principal=principal)


@router.get("", summary="List the enterprises you may see", response_model=Page[EnterprisePublic])
@reads_only
async def list_enterprises(
    session: SessionDep,
    principal: CurrentPrincipal,
    page: PageParams,
    country: Annotated[str | None, Query(min_length=2, max_length=2)] = None,
    partner_id: UUID | None = None,
    sub_sector: str | None = None,
    possible_duplicates: Annotated[
        bool | None, Query(description="Only (true) or no (false) flagged duplicates")
    ] = None,
) -> Response:
    rows = await enterprise_service.get_all_rows(
        session,
        principal=principal,
        page=page,
        country=country,
        partner_id=partner_id,
        sub_sector=sub_sector,
        possible_duplicates=possible_duplicates,
    )
    return ENTERPRISE_PAGE.response(rows)


@router.get("/{enterprise_id}", summary="One enterprise's profile")
async def get_enterprise(
    enterprise_id: UUID, session: SessionDep, principal: CurrentPrincipal
) -> EnterprisePublic:
    return await enterprise_service.get(session, enterprise_id, principal=principal)


@router.patch(
    "/{enterprise_id}",
    summary="Update a profile; open applications are re-evaluated against it",
)
async def update_enterprise(
    enterprise_id: UUID,
    body: EnterpriseUpdate,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> EnterprisePublic:
    return await enterprise_service.update(session, enterprise_id, body, principal=principal)
