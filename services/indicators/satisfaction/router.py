"""REST endpoints of satisfaction responses and the satisfaction rate: thin, one service call
each."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Query, status

from services.indicators.fields import ModuleCode
from services.indicators.satisfaction.schemas import (
    SatisfactionBatchResult,
    SatisfactionIn,
    SatisfactionPublic,
    SatisfactionSummary,
)
from services.indicators.satisfaction.service import satisfaction_service
from shared.db import SessionDep
from shared.identity import CurrentPrincipal
from shared.pagination import Page, PageParams

router = APIRouter(tags=["implementation"])

ModuleFilter = Annotated[ModuleCode | None, Query()]


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
