"""REST endpoints for logframe targets, their progress, and training cost entries."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response, status

from services.reporting.params import MinGroupSize
from services.reporting.report import ReportTable
from services.reporting.targets.schemas import (
    CostCreate,
    CostPublic,
    MetricInfo,
    TargetCreate,
    TargetPublic,
    TargetsParams,
    TargetUpdate,
)
from services.reporting.targets.service import (
    cost_service,
    metric_catalogue,
    progress_report,
    target_service,
)
from shared.db import SessionDep
from shared.identity import CurrentPrincipal
from shared.pagination import Page, PageParams

router = APIRouter(tags=["targets"])

ProjectFilter = Annotated[list[UUID] | None, Query(alias="project", description="Project ids")]


@router.post(
    "/targets",
    status_code=status.HTTP_201_CREATED,
    summary="Set a logframe target (ILO, or the project's programme manager)",
)
async def create_target(
    body: TargetCreate, session: SessionDep, principal: CurrentPrincipal
) -> TargetPublic:
    return await target_service.create(session, body, principal=principal)


@router.get("/targets", summary="The targets of the projects you may see")
async def list_targets(
    session: SessionDep,
    principal: CurrentPrincipal,
    page: PageParams,
    project: ProjectFilter = None,
    metric: str | None = None,
) -> Page[TargetPublic]:
    return await target_service.get_all(
        session, principal=principal, page=page, project_ids=project or [], metric=metric
    )


@router.get("/targets/metrics", summary="What a target can measure")
async def list_metrics(principal: CurrentPrincipal) -> list[MetricInfo]:
    del principal  # any authenticated caller may read the catalogue
    return metric_catalogue()


@router.get(
    "/targets/progress",
    summary="Each target with its actual, % met and on-track status",
    description=(
        "Filters: project, country, from/to (on the target's period end), metric. The "
        "`method` field states the on-track rule."
    ),
)
async def target_progress(
    session: SessionDep,
    principal: CurrentPrincipal,
    params: Annotated[TargetsParams, Query()],
    min_group_size: MinGroupSize,
) -> ReportTable:
    return await progress_report(session, principal, params, min_group_size=min_group_size)


@router.get("/targets/{target_id}", summary="One target")
async def get_target(
    target_id: UUID, session: SessionDep, principal: CurrentPrincipal
) -> TargetPublic:
    return await target_service.get(session, target_id, principal=principal)


@router.patch("/targets/{target_id}", summary="Change a target (audited with before and after)")
async def update_target(
    target_id: UUID, body: TargetUpdate, session: SessionDep, principal: CurrentPrincipal
) -> TargetPublic:
    return await target_service.update(session, target_id, body, principal=principal)


@router.delete(
    "/targets/{target_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a target (audited)",
)
async def delete_target(
    target_id: UUID, session: SessionDep, principal: CurrentPrincipal
) -> Response:
    await target_service.delete(session, target_id, principal=principal)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/costs",
    status_code=status.HTTP_201_CREATED,
    summary="Record a training cost and how much of it non-ILO sources paid",
)
async def create_cost(
    body: CostCreate, session: SessionDep, principal: CurrentPrincipal
) -> CostPublic:
    return await cost_service.create(session, body, principal=principal)


@router.get("/costs", summary="Training cost entries of the projects you may see")
async def list_costs(
    session: SessionDep,
    principal: CurrentPrincipal,
    page: PageParams,
    project: ProjectFilter = None,
) -> Page[CostPublic]:
    return await cost_service.get_all(
        session, principal=principal, page=page, project_ids=project or []
    )
