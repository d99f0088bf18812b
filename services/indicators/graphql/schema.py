"""The indicators GraphQL federation subgraph, mounted at /graphql: it extends the
``Enterprise`` entity with indicator values, improvement projects, EIT and satisfaction."""

import strawberry
from strawberry.fastapi import GraphQLRouter

from services.indicators.graphql import queries
from services.indicators.graphql.context import GraphQLContext, get_context
from services.indicators.graphql.types import (
    INDICATOR_KINDS,
    Enterprise,
    Indicator,
    Info,
    MeasurementRound,
)
from services.indicators.implementation.mutations import ImplementationMutations
from services.indicators.values.mutations import ValueMutations
from shared.graphql import parse_choice, parse_id, subgraph_router, subgraph_schema


async def _indicators(
    info: Info,
    kind: str | None = None,
    module_code: str | None = None,
    include_inactive: bool = False,
) -> list[Indicator]:
    if kind is not None:
        parse_choice(kind, "kind", INDICATOR_KINDS)
    async with info.context.database() as session:
        rows = await queries.catalogue(
            session, kind=kind, module_code=module_code, include_inactive=include_inactive
        )
    return [Indicator.from_row(row) for row in rows]


async def _rounds(info: Info, project_id: strawberry.ID) -> list[MeasurementRound]:
    parsed = parse_id(project_id, "projectId")
    context = info.context
    async with context.database() as session:
        rows = await queries.rounds(session, parsed, principal=context.principal)
    return [MeasurementRound.from_row(row) for row in rows]


@strawberry.type
class Query:
    indicators: list[Indicator] = strawberry.field(
        resolver=_indicators,
        description="The indicator catalogue (active definitions unless includeInactive)",
    )
    rounds: list[MeasurementRound] = strawberry.field(
        resolver=_rounds,
        description="A project's measurement rounds; empty for a project you take no part in",
    )


@strawberry.type(description="What partners' systems write: each field is a REST route's call")
class Mutation(ValueMutations, ImplementationMutations):
    pass


# Enterprise is reachable only through _entities: name it so the schema includes it.
schema = subgraph_schema(Query, mutation=Mutation, types=[Enterprise])

router: GraphQLRouter[GraphQLContext, None] = subgraph_router(schema, get_context)
