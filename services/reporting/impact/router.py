"""REST endpoints of the impact report and of the matched pairs behind its figures."""

from typing import Annotated

from fastapi import APIRouter, Query

from services.reporting.impact.schemas import ImpactExplanation, ImpactParams, PairsParams
from services.reporting.impact.service import RULES, explain_impact, impact_report
from services.reporting.params import MinGroupSize
from services.reporting.report import ReportTable
from shared.db import SessionDep
from shared.identity import CurrentPrincipal

router = APIRouter(prefix="/impact", tags=["impact"])


@router.get(
    "",
    summary="Per indicator: matched pairs n, % improved, median and quartiles of the change",
    description=(
        "Baseline versus endline over enterprises with both (matched pairs), broken down by "
        "any of module, country, project, partner, sector, period, stage and sex. The "
        "`method` field of the answer says exactly how each figure is computed." + RULES
    ),
)
async def get_impact(
    session: SessionDep,
    principal: CurrentPrincipal,
    params: Annotated[ImpactParams, Query()],
    min_group_size: MinGroupSize,
) -> ReportTable:
    return await impact_report(session, principal, params, min_group_size=min_group_size)


@router.get(
    "/pairs",
    summary="Explain a figure: the matched pairs behind it, with their value ids and versions",
    description=(
        "The pairs the impact figure of one indicator counts with the same filters (explain "
        "a row of a breakdown by filtering on its group: `country=PK`, `module=...`, "
        "`from`/`to` for a period, `sex=female` for a sex part). Each pair names its "
        "enterprise, project and the validated baseline and endline values (value id, "
        "version, figure) and whether it improved; n and improved add up to the figure. "
        "For callers who may see the enterprises' values one by one (not lead buyers); "
        "only enterprises you may see are listed." + RULES
    ),
    responses={403: {"description": "Lead buyers do not see the values behind figures"}},
)
async def get_impact_pairs(
    session: SessionDep, principal: CurrentPrincipal, params: Annotated[PairsParams, Query()]
) -> ImpactExplanation:
    return await explain_impact(session, principal, params)
