"""The indicators GraphQL federation subgraph, mounted at /graphql: it extends the
``Enterprise`` entity with indicator values, improvement projects, EIT and satisfaction."""

import strawberry
from strawberry.fastapi import GraphQLRouter

from services.indicators.business_cases.graphql import BusinessCaseMutations, BusinessCaseQueries
from services.indicators.catalogue.repository import indicator_repository
from services.indicators.graphql.context import GraphQLContext, get_context
from services.indicators.graphql.types import (
    INDICATOR_KINDS,
    Enterprise,
    Indicator,
    Info,
    MeasurementRound,
)
from services.indicators.improvement_projects.mutations import ImplementationMutations
from services.indicators.rounds.repository import round_repository
from services.indicators.values.mutations import ValueMutations
from shared.graphql import list_size, parse_choice, parse_id, subgraph_router, subgraph_schema


async def _indicators(
    info: Info,
    kind: str | None = None,
    module_code: str | None = None,
    include_inactive: bool = False,
) -> list[Indicator]:
    if kind is not None:
        parse_choice(kind, "kind", INDICATOR_KINDS)
    async with info.context.database() as session:
        rows = await indicator_repository.catalogue(
            session, kind=kind, module_code=module_code, include_inactive=include_inactive
        )
    return [Indicator.from_row(row) for row in rows]


async def _rounds(info: Info, project_id: strawberry.ID) -> list[MeasurementRound]:
    parsed = parse_id(project_id, "projectId")
    context = info.context
    async with context.database() as session:
        rows = await round_repository.of_project(session, parsed, principal=context.principal)
    return [MeasurementRound.from_row(row) for row in rows]


# Root fields are nullable: a query may also ask other services, and this one being down
# must cost only its own fields, not the whole answer.
@strawberry.type
class Query(BusinessCaseQueries):
    indicators: list[Indicator] | None = strawberry.field(
        resolver=_indicators,
        description="The indicator catalogue (active definitions unless includeInactive)",
        directives=[list_size(assumed=100)],
    )
    rounds: list[MeasurementRound] | None = strawberry.field(
        resolver=_rounds,
        description="A project's measurement rounds; empty for a project you take no part in",
        directives=[list_size(assumed=10)],
    )


@strawberry.type(description="What partners' systems write: each field is a REST route's call")
class Mutation(ValueMutations, ImplementationMutations, BusinessCaseMutations):
    pass


# Enterprise is reachable only through _entities: name it so the schema includes it.
schema = subgraph_schema(Query, mutation=Mutation, types=[Enterprise])

router: GraphQLRouter[GraphQLContext, None] = subgraph_router(schema, get_context)
