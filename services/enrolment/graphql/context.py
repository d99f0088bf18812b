"""The per-request GraphQL context: the verified caller, the request's session, loaders."""

from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.graphql.loaders import Loaders
from shared.db import SessionDep
from shared.graphql import SubgraphContext
from shared.identity import Principal, SubgraphPrincipal


class GraphQLContext(SubgraphContext):
    def __init__(self, *, principal: Principal, session: AsyncSession) -> None:
        super().__init__(principal=principal, session=session)
        self.loaders = Loaders(self.database, principal)


async def get_context(principal: SubgraphPrincipal, session: SessionDep) -> GraphQLContext:
    """FastAPI dependency: a token the gateway did not mint for the graph fails here with a 401
    problem, before Strawberry runs anything (it would otherwise answer 200 with errors)."""
    return GraphQLContext(principal=principal, session=session)
