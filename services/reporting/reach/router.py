"""REST endpoints of the reach and cost recovery reports."""

from typing import Annotated

from fastapi import APIRouter, Query

from services.reporting.params import MinGroupSize, ReportParams
from services.reporting.reach.service import cost_recovery_report, reach_report
from services.reporting.report import ReportTable
from shared.db import SessionDep
from shared.identity import CurrentPrincipal

router = APIRouter(prefix="/reach", tags=["reach"])


@router.get(
    "",
    summary="Enterprises trained, participants, workers benefiting, trainers, satisfaction",
    description=(
        "Reach figures broken down by any of module, country, project, partner, sector, "
        "period, stage and sex (group_by; sex splits participants, trainers and ratings, the "
        "enterprise counts stay empty) and filtered by the same. Satisfaction is dated by "
        "the day each rating was given. Suppression, for callers outside the owning partner "
        "and the ILO: each measure family shows only over whole blocks of at least "
        "SCORE_REPORTING_MIN_GROUP_SIZE enterprises, so no small group is recovered by "
        "subtraction (complementary suppression); trainer counts are never suppressed. The "
        "`method` field says how each figure is counted."
    ),
)
async def get_reach(
    session: SessionDep,
    principal: CurrentPrincipal,
    params: Annotated[ReportParams, Query()],
    min_group_size: MinGroupSize,
) -> ReportTable:
    return await reach_report(session, principal, params, min_group_size=min_group_size)


@router.get(
    "/cost-recovery",
    summary="Share of training cost paid by non-ILO sources, per currency",
    description=(
        "From the training cost entries (POST /costs); one row per group and currency, since "
        "amounts in different currencies are never added. Breaks down by project, country, "
        "period, module, partner."
    ),
)
async def get_cost_recovery(
    session: SessionDep,
    principal: CurrentPrincipal,
    params: Annotated[ReportParams, Query()],
    min_group_size: MinGroupSize,
) -> ReportTable:
    return await cost_recovery_report(session, principal, params, min_group_size=min_group_size)
