"""REST endpoints of cohorts: thin, one service call each."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request, status

from services.enrolment.cohorts.schemas import (
    CohortCreate,
    CohortPublic,
    EnterpriseMembership,
    TrainerMembership,
)
from services.enrolment.cohorts.service import cohort_service
from services.enrolment.settings import EnrolmentSettings
from shared.db import SessionDep
from shared.identity import CurrentPrincipal
from shared.pagination import Page, PageParams

router = APIRouter(tags=["training"])


def _recommended_max(request: Request) -> int:
    settings: EnrolmentSettings = request.app.state.settings
    return settings.cohort_recommended_max


RecommendedMax = Annotated[int, Depends(_recommended_max)]


@router.post(
    "/cohorts",
    status_code=status.HTTP_201_CREATED,
    summary="Create a cohort (outside 4-5 enterprises it is accepted with a warning)",
)
async def create_cohort(
    body: CohortCreate,
    session: SessionDep,
    principal: CurrentPrincipal,
    recommended_max: RecommendedMax,
) -> CohortPublic:
    return await cohort_service.create(
        session, body, principal=principal, recommended_max=recommended_max
    )


@router.get("/cohorts", summary="Cohorts you may see")
async def list_cohorts(
    session: SessionDep,
    principal: CurrentPrincipal,
    page: PageParams,
    recommended_max: RecommendedMax,
    project_id: UUID | None = None,
    module_code: str | None = None,
    partner_id: UUID | None = None,
) -> Page[CohortPublic]:
    return await cohort_service.get_all(
        session,
        principal=principal,
        page=page,
        recommended_max=recommended_max,
        project_id=project_id,
        module_code=module_code,
        partner_id=partner_id,
    )


@router.get("/cohorts/{cohort_id}", summary="One cohort: enterprises, trainers, participants")
async def get_cohort(
    cohort_id: UUID,
    session: SessionDep,
    principal: CurrentPrincipal,
    recommended_max: RecommendedMax,
) -> CohortPublic:
    return await cohort_service.get(
        session, cohort_id, principal=principal, recommended_max=recommended_max
    )


@router.put("/cohorts/{cohort_id}/enterprises", summary="Set the cohort's enterprises")
async def set_cohort_enterprises(
    cohort_id: UUID,
    body: EnterpriseMembership,
    session: SessionDep,
    principal: CurrentPrincipal,
    recommended_max: RecommendedMax,
) -> CohortPublic:
    return await cohort_service.replace_enterprises(
        session, cohort_id, body, principal=principal, recommended_max=recommended_max
    )


@router.put("/cohorts/{cohort_id}/trainers", summary="Set the cohort's trainers")
async def set_cohort_trainers(
    cohort_id: UUID,
    body: TrainerMembership,
    session: SessionDep,
    principal: CurrentPrincipal,
    recommended_max: RecommendedMax,
) -> CohortPublic:
    return await cohort_service.replace_trainers(
        session, cohort_id, body, principal=principal, recommended_max=recommended_max
    )
