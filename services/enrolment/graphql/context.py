"""The per-request GraphQL context: the verified caller, the request's session, loaders."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlmodel.ext.asyncio.session import AsyncSession
from strawberry.fastapi import BaseContext

from services.enrolment.graphql.loaders import Loaders
from shared.db import SessionDep
from shared.identity import CurrentPrincipal, Principal


class GraphQLContext(BaseContext):
    def __init__(self, *, principal: Principal, session: AsyncSession) -> None:
        super().__init__()
        self.principal = principal
        self._session = session
        # graphql-core resolves sibling fields concurrently, but an AsyncSession runs one
        # statement at a time: resolvers and loaders take turns through this lock.
        self._lock = asyncio.Lock()
        self.loaders = Loaders(self.database, principal)

    @asynccontextmanager
    async def database(self) -> AsyncIterator[AsyncSession]:
        """The request's session, held for one service call; never await a loader inside."""
        async with self._lock:
            yield self._session


async def get_context(principal: CurrentPrincipal, session: SessionDep) -> GraphQLContext:
    """FastAPI dependency: an invalid or missing identity token fails here with a 401
    problem, before Strawberry runs anything (it would otherwise answer 200 with errors)."""
    return GraphQLContext(principal=principal, session=session)
