"""The reporting GraphQL federation subgraph, mounted at /graphql: it extends ``Enterprise``
with its SCORE status and impact, and adds programme summaries and the impact report."""

from collections.abc import Awaitable, Callable
from typing import Any

import strawberry
from sqlmodel.ext.asyncio.session import AsyncSession
from strawberry.fastapi import GraphQLRouter

from services.reporting.filters import MIN_GROUP_SIZE, Dimension, PeriodGrain
from services.reporting.graphql.context import GraphQLContext, get_context
from services.reporting.graphql.types import (
    Enterprise,
    ImpactExplanation,
    ImpactReport,
    Info,
    ProgrammeSummary,
    ReportFilter,
)
from services.reporting.impact.explain import explain_impact
from services.reporting.impact.report import RULES, impact_report
from services.reporting.reach.report import reach_report
from services.reporting.report import ReportTable
from services.reporting.webhooks.mutations import Mutation
from shared.graphql import subgraph_router, subgraph_schema
from shared.identity import Principal
from shared.problems import InvalidInput

# The reports name REST query parameters in their errors; here they are arguments.
_ARGUMENTS = {
    "query.group_by": "groupBy",
    "query.period_grain": "periodGrain",
    "query.indicator": "indicators",
    "query.sex": "sex",
}

Report = Callable[[AsyncSession, Principal, dict[str, Any]], Awaitable[ReportTable]]


def _params(
    context: GraphQLContext,
    filter: ReportFilter | None,
    *,
    group_by: list[Dimension] | None = None,
    period_grain: PeriodGrain | None = None,
    indicators: list[str] | None = None,
) -> dict[str, Any]:
    raw: dict[str, Any] = filter.raw() if filter is not None else {}
    if group_by:
        raw["group_by"] = [dimension.value for dimension in group_by]
    if period_grain is not None:
        raw["period_grain"] = [period_grain.value]
    if indicators:
        raw["indicator"] = list(indicators)
    raw[MIN_GROUP_SIZE] = context.min_group_size
    return raw


def _argument(field: str) -> str:
    if field in _ARGUMENTS:
        return _ARGUMENTS[field]
    return "filter." + field.removeprefix("query.")


async def _run(info: Info, report: Report, params: dict[str, Any]) -> ReportTable:
    context = info.context
    try:
        async with context.database() as session:
            return await report(session, context.principal, params)
    except InvalidInput as problem:
        for error in problem.errors or []:
            error["field"] = _argument(error["field"])
        raise


async def _programme_summary(
    info: Info,
    filter: ReportFilter | None = None,
    indicators: list[str] | None = None,
) -> ProgrammeSummary:
    reach = await _run(info, reach_report, _params(info.context, filter))
    impact = await _run(info, impact_report, _params(info.context, filter, indicators=indicators))
    return ProgrammeSummary.from_tables(reach, impact)


async def _impact_report(
    info: Info,
    group_by: list[Dimension] | None = None,
    filter: ReportFilter | None = None,
    period_grain: PeriodGrain | None = None,
    indicators: list[str] | None = None,
) -> ImpactReport:
    params = _params(
        info.context, filter, group_by=group_by, period_grain=period_grain, indicators=indicators
    )
    return ImpactReport.from_table(await _run(info, impact_report, params))


async def _impact_pairs(
    info: Info,
    indicator: str,
    filter: ReportFilter | None = None,
    sex: str | None = None,
) -> ImpactExplanation:
    params = _params(info.context, filter, indicators=[indicator])
    if sex is not None:
        params["sex"] = [sex]
    context = info.context
    try:
        async with context.database() as session:
            explanation = await explain_impact(session, context.principal, params)
    except InvalidInput as problem:
        for error in problem.errors or []:
            error["field"] = _argument(error["field"])
        raise
    return ImpactExplanation.from_model(explanation)


@strawberry.type
class Query:
    programme_summary: ProgrammeSummary = strawberry.field(
        resolver=_programme_summary,
        description=(
            "Enterprises trained, participants by sex, workers benefiting, trainers, "
            "satisfaction and headline impact (each with its n) over the enterprises you "
            "may see; figures suppressed as in the reports (only over whole blocks of "
            "enterprises, so no small group is recovered by subtraction)." + RULES
        ),
    )
    impact_report: ImpactReport = strawberry.field(
        resolver=_impact_report,
        description=(
            "Matched-pair impact per indicator, broken down by groupBy: n, % improved, "
            "median and quartiles of the relative change." + RULES
        ),
    )
    impact_pairs: ImpactExplanation = strawberry.field(
        resolver=_impact_pairs,
        description=(
            "Explain a figure: the matched pairs behind the impact figure of one indicator "
            "with these filters (a breakdown's row: filter on its group; sex: female or male "
            "for a sex part), each with the value ids and versions of its validated baseline "
            "and endline. Not for lead buyers."
        ),
    )


# Enterprise is reachable only through _entities: name it so the schema includes it.
schema = subgraph_schema(Query, mutation=Mutation, types=[Enterprise])

router: GraphQLRouter[GraphQLContext, None] = subgraph_router(schema, get_context)
