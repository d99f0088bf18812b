"""The per-request GraphQL context: the verified caller, the request's session, loaders and
the service's minimum group size (suppression in the root reports)."""

from fastapi import Request
from sqlmodel.ext.asyncio.session import AsyncSession

from services.reporting.graphql.loaders import Loaders
from shared.db import SessionDep
from shared.graphql import SubgraphContext
from shared.identity import Principal, SubgraphPrincipal


class GraphQLContext(SubgraphContext):
    def __init__(
        self,
        *,
        principal: Principal,
        session: AsyncSession,
        min_group_size: int,
        allow_private_targets: bool = False,
    ) -> None:
        super().__init__(principal=principal, session=session)
        self.min_group_size = min_group_size
        # Webhook registration: may targets be local addresses (not in production).
        self.allow_private_targets = allow_private_targets
        self.loaders = Loaders(self.database, principal)


async def get_context(
    request: Request, principal: SubgraphPrincipal, session: SessionDep
) -> GraphQLContext:
    """FastAPI dependency: a token the gateway did not mint for the graph fails here with a 401
    problem, before Strawberry runs anything (it would otherwise answer 200 with errors)."""
    return GraphQLContext(
        principal=principal,
        session=session,
        min_group_size=int(request.app.state.settings.min_group_size),
        allow_private_targets=request.app.state.settings.private_targets_allowed,
    )
