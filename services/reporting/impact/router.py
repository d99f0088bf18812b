"""REST endpoint of the impact report."""

from typing import Annotated

from fastapi import APIRouter, Query

from services.reporting.filters import ReportQueryParams
from services.reporting.impact.report import impact_report
from services.reporting.report import ReportTable
from shared.db import SessionDep
from shared.identity import CurrentPrincipal

router = APIRouter(prefix="/impact", tags=["impact"])


@router.get(
    "",
    summary="Per indicator: matched pairs n, % improved, median and quartiles of the change",
    description=(
        "Baseline versus endline over enterprises with both (matched pairs), broken down by "
        "any of module, country, project, partner, sector, period, stage. Small groups are "
        "suppressed for callers outside the owning partner and the ILO. The `method` field "
        "of the answer says exactly how each figure is computed."
    ),
)
async def get_impact(
    session: SessionDep,
    principal: CurrentPrincipal,
    params: ReportQueryParams,
    indicator: Annotated[
        list[str] | None, Query(description="Indicator codes (default: every indicator)")
    ] = None,
) -> ReportTable:
    del indicator  # read from ``params`` with the rest of the query
    return await impact_report(session, principal, params)
