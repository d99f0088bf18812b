"""Async database plumbing shared by the services: engine, sessions, naming convention."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import registry
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.embedded_pg import embedded_url, ensure_database, start_embedded_server
from shared.settings import ServiceSettings

# Constraint names are deterministic so migrations can name what they drop or alter.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def service_registry() -> registry:
    """One registry (and metadata) per service, so each migration history sees only its tables."""
    return registry(metadata=MetaData(naming_convention=NAMING_CONVENTION))


async def resolve_database_url(settings: ServiceSettings) -> str:
    """The configured URL, or the embedded server's database named after the service."""
    if settings.database_url is not None:
        return settings.database_url.get_secret_value()
    socket_dir = start_embedded_server(settings.platform.embedded_pg_dir)
    url = embedded_url(socket_dir, settings.service_name)
    await ensure_database(url)
    return url


class Database:
    """An engine and its session factory; one per service process."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = url
        self.engine: AsyncEngine = create_async_engine(
            url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True
        )
        self.sessions = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session that commits when the block ends cleanly and rolls back otherwise."""
        async with self.sessions() as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    async def dispose(self) -> None:
        await self.engine.dispose()


async def request_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request: committed when the endpoint returns, rolled back on error.

    Declared with ``scope="function"`` below so the commit happens before the response
    is sent: a client never sees success for a write that then failed to commit.
    """
    database: Database = request.app.state.database
    async with database.transaction() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(request_session, scope="function")]
