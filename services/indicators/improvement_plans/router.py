"""REST endpoints of Enterprise Improvement Plans: thin, one service call each."""

from uuid import UUID

from fastapi import APIRouter, status

from services.indicators.improvement_plans.schemas import ActionUpdate, PlanCreate, PlanPublic
from services.indicators.improvement_plans.service import plan_service
from shared.db import SessionDep
from shared.identity import CurrentPrincipal
from shared.pagination import Page, PageParams

router = APIRouter(tags=["improvement plans"])


@router.post(
    "/enterprises/{enterprise_id}/improvement-plans",
    status_code=status.HTTP_201_CREATED,
    summary="Record an Enterprise Improvement Plan: objectives and actions, owners, due dates",
)
async def create_plan(
    enterprise_id: UUID, body: PlanCreate, session: SessionDep, principal: CurrentPrincipal
) -> PlanPublic:
    return await plan_service.create(session, enterprise_id, body, principal=principal)


@router.get(
    "/enterprises/{enterprise_id}/improvement-plans",
    summary="The enterprise's improvement plans with their progress",
)
async def list_plans(
    enterprise_id: UUID, session: SessionDep, principal: CurrentPrincipal, page: PageParams
) -> Page[PlanPublic]:
    return await plan_service.get_for_enterprise(
        session, enterprise_id, principal=principal, page=page
    )


@router.get("/improvement-plans/{plan_id}", summary="One plan: actions, progress, status")
async def get_plan(plan_id: UUID, session: SessionDep, principal: CurrentPrincipal) -> PlanPublic:
    return await plan_service.get(session, plan_id, principal=principal)


@router.patch(
    "/improvement-plans/{plan_id}/actions/{action_id}",
    summary="Move an action on (done, dropped ...); the plan completes with its last action",
)
async def update_action(
    plan_id: UUID,
    action_id: UUID,
    body: ActionUpdate,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> PlanPublic:
    return await plan_service.update_action(session, plan_id, action_id, body, principal=principal)
