"""REST endpoints of the indicators service: catalogue."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from services.indicators.catalogue.schemas import (
    IndicatorCreate,
    IndicatorKind,
    IndicatorPublic,
    IndicatorUpdate,
    IndicatorVersionPublic,
)
from services.indicators.catalogue.service import catalogue_service
from shared.db import SessionDep
from shared.identity import CurrentPrincipal
from shared.pagination import Page, PageParams
from shared.request_guard import INT32_MAX

router = APIRouter(prefix="/indicators", tags=["catalogue"])


@router.get("", summary="The indicator catalogue")
async def list_indicators(
    session: SessionDep,
    principal: CurrentPrincipal,
    page: PageParams,
    kind: IndicatorKind | None = None,
    module_code: Annotated[str | None, Query(max_length=40)] = None,
    active: Annotated[bool | None, Query(description="Only in use (true) or retired")] = None,
) -> Page[IndicatorPublic]:
    del principal  # the catalogue is programme information: any authenticated caller
    return await catalogue_service.get_all(
        session, page=page, kind=kind, module_code=module_code, active=active
    )


@router.get("/{code}", summary="One indicator's current definition")
async def get_indicator(
    code: str, session: SessionDep, principal: CurrentPrincipal
) -> IndicatorPublic:
    del principal
    return await catalogue_service.get(session, code)


@router.get("/{code}/versions", summary="Every version of the definition, oldest first")
async def list_indicator_versions(
    code: str, session: SessionDep, principal: CurrentPrincipal
) -> list[IndicatorVersionPublic]:
    del principal
    return await catalogue_service.versions(session, code)


@router.get("/{code}/versions/{version}", summary="The definition as it was at one version")
async def get_indicator_version(
    code: str,
    version: Annotated[int, Path(ge=1, le=INT32_MAX)],
    session: SessionDep,
    principal: CurrentPrincipal,
) -> IndicatorVersionPublic:
    del principal
    return await catalogue_service.get_version(session, code, version)


@router.post("", status_code=status.HTTP_201_CREATED, summary="Add an indicator (ILO)")
async def create_indicator(
    body: IndicatorCreate, session: SessionDep, principal: CurrentPrincipal
) -> IndicatorPublic:
    return await catalogue_service.create(session, body, principal=principal)


@router.patch(
    "/{code}",
    summary="Change an indicator (ILO): a new version, with the reason",
    description=(
        "Kind and disaggregations cannot change once values were recorded for the "
        "indicator (409): the values would be orphaned."
    ),
)
async def update_indicator(
    code: str, body: IndicatorUpdate, session: SessionDep, principal: CurrentPrincipal
) -> IndicatorPublic:
    return await catalogue_service.update(session, code, body, principal=principal)
