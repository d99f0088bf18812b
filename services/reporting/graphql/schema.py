"""The reporting GraphQL federation subgraph, mounted at /graphql: it extends ``Enterprise``
with its SCORE status and impact, and adds programme summaries and the impact report."""

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import strawberry
from pydantic import BaseModel, ValidationError
from strawberry.fastapi import GraphQLRouter
from strawberry.federation.schema_directives import Cost

from services.reporting.graphql.context import GraphQLContext, get_context
from services.reporting.graphql.types import (
    Enterprise,
    ImpactExplanation,
    ImpactReport,
    Info,
    ProgrammeSummary,
    ReportFilter,
)
from services.reporting.impact.schemas import ImpactParams, PairsParams
from services.reporting.impact.service import RULES, explain_impact, impact_report
from services.reporting.params import Dimension, PeriodGrain, ReportParams
from services.reporting.reach.service import reach_report
from services.reporting.report import ReportTable
from services.reporting.suppliers.queries import SupplierStatus, supplier_status
from services.reporting.webhooks.mutations import (
    Mutation,
    Webhook,
    webhook_endpoint,
    webhook_endpoints,
)
from shared.graphql import list_size, subgraph_router, subgraph_schema
from shared.problems import InvalidInput, invalid_query

# The reports name REST query parameters in their errors; here they are arguments.
_ARGUMENTS = {
    "query.group_by": "groupBy",
    "query.period_grain": "periodGrain",
    "query.indicator": "indicators",
    "query.sex": "sex",
}

P = TypeVar("P", bound=BaseModel)

REPORT_WEIGHT = 100

Report = Callable[..., Awaitable[ReportTable]]


def _params(
    model: type[P],
    filter: ReportFilter | None,
    *,
    group_by: list[Dimension] | None = None,
    period_grain: PeriodGrain | None = None,
    indicators: list[str] | None = None,
    **more: Any,
) -> P:
    """The arguments as the report's query model: checked by the same rules as in REST."""
    raw: dict[str, Any] = filter.raw() if filter is not None else {}
    if group_by:
        raw["group_by"] = [dimension.value for dimension in group_by]
    if period_grain is not None:
        raw["period_grain"] = period_grain.value
    if indicators:
        raw["indicator"] = list(indicators)
    raw.update({name: value for name, value in more.items() if value is not None})
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise _in_arguments(invalid_query(exc, allowed=[])) from exc


def _argument(field: str) -> str:
    if field in _ARGUMENTS:
        return _ARGUMENTS[field]
    return "filter." + field.removeprefix("query.")


def _in_arguments(problem: InvalidInput) -> InvalidInput:
    """The reports name REST query parameters in their errors; here they are arguments."""
    for error in problem.errors or []:
        error["field"] = _argument(error["field"])
    return problem


async def _run(info: Info, report: Report, params: BaseModel) -> ReportTable:
    context = info.context
    try:
        async with context.database() as session:
            return await report(
                session, context.principal, params, min_group_size=context.min_group_size
            )
    except InvalidInput as problem:
        raise _in_arguments(problem) from None


async def _programme_summary(
    info: Info,
    filter: ReportFilter | None = None,
    indicators: list[str] | None = None,
) -> ProgrammeSummary:
    reach = await _run(info, reach_report, _params(ReportParams, filter))
    impact = await _run(info, impact_report, _params(ImpactParams, filter, indicators=indicators))
    return ProgrammeSummary.from_tables(reach, impact)


async def _impact_report(
    info: Info,
    group_by: list[Dimension] | None = None,
    filter: ReportFilter | None = None,
    period_grain: PeriodGrain | None = None,
    indicators: list[str] | None = None,
) -> ImpactReport:
    params = _params(
        ImpactParams, filter, group_by=group_by, period_grain=period_grain, indicators=indicators
    )
    return ImpactReport.from_table(await _run(info, impact_report, params))


async def _impact_pairs(
    info: Info,
    indicator: str,
    filter: ReportFilter | None = None,
    sex: str | None = None,
) -> ImpactExplanation:
    params = _params(PairsParams, filter, indicator=indicator, sex=sex)
    context = info.context
    try:
        async with context.database() as session:
            explanation = await explain_impact(session, context.principal, params)
    except InvalidInput as problem:
        raise _in_arguments(problem) from None
    return ImpactExplanation.from_model(explanation)


# Root fields are nullable: a query may also ask other services, and this one being down
# must cost only its own fields, not the whole answer. Each computes a report: it weighs
# in the gateway's cost limit as much as reading a hundred fields.
@strawberry.type
class Query:
    programme_summary: ProgrammeSummary | None = strawberry.field(
        resolver=_programme_summary,
        directives=[Cost(weight=REPORT_WEIGHT)],
        description=(
            "Enterprises trained, participants by sex, workers benefiting, trainers, "
            "satisfaction and headline impact (each with its n) over the enterprises you "
            "may see; figures suppressed as in the reports (only over whole blocks of "
            "enterprises, so no small group is recovered by subtraction)." + RULES
        ),
    )
    impact_report: ImpactReport | None = strawberry.field(
        resolver=_impact_report,
        directives=[Cost(weight=REPORT_WEIGHT)],
        description=(
            "Matched-pair impact per indicator, broken down by groupBy: n, % improved, "
            "median and quartiles of the relative change." + RULES
        ),
    )
    impact_pairs: ImpactExplanation | None = strawberry.field(
        resolver=_impact_pairs,
        directives=[Cost(weight=REPORT_WEIGHT)],
        description=(
            "Explain a figure: the matched pairs behind the impact figure of one indicator "
            "with these filters (a breakdown's row: filter on its group; sex: female or male "
            "for a sex part), each with the value ids and versions of its validated baseline "
            "and endline. Not for lead buyers."
        ),
    )
    supplier_status: SupplierStatus | None = strawberry.field(
        resolver=supplier_status,
        description=(
            "A supplier's status as supplier.status_changed carries it, as of now (GET "
            "/reporting/suppliers/{id}/status): a buyer's portal reads it once per supplier, "
            "then follows the events (partner feed or webhook). Null when it is not a "
            "supplier you may see (a buyer: one consenting to share with you)."
        ),
    )
    webhook_endpoints: list[Webhook] | None = strawberry.field(
        resolver=webhook_endpoints,
        directives=[list_size(assumed=10)],
        description="Your webhook endpoints (GET /reporting/webhooks); secrets are never shown",
    )
    webhook_endpoint: Webhook | None = strawberry.field(
        resolver=webhook_endpoint,
        description=(
            "One of your webhook endpoints, why it is disabled if it is, and its delivery log; "
            "null when it is not yours"
        ),
    )


# Enterprise is reachable only through _entities: name it so the schema includes it.
schema = subgraph_schema(Query, mutation=Mutation, types=[Enterprise])

router: GraphQLRouter[GraphQLContext, None] = subgraph_router(schema, get_context)
