"""Gateway fixtures: its migrated database, and the real gateway app in front of the real
enrolment and indicators apps (reporting is left unreachable unless a test brings it)."""

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings
from tests.conftest import (
    SessionSource,
    disposed_engine,
    migrated_database_url,
    savepoint_session,
)
from tests.enrolment.support import Api
from tests.gateway.support import Upstreams, gateway_settings


@pytest.fixture(scope="session")
async def gateway_db_url(pg_socket_dir: str) -> str:
    return await migrated_database_url(pg_socket_dir, "gateway", "test_gateway")


@pytest.fixture(scope="session")
async def committed_gateway_db_url(pg_socket_dir: str) -> str:
    """A gateway database for what commits for real (`score keys`, gateway processes): the
    per-test rollback cannot undo another process's writes."""
    return await migrated_database_url(pg_socket_dir, "gateway", "test_gateway_committed")


@pytest.fixture(scope="session")
async def gateway_engine(gateway_db_url: str) -> AsyncIterator[AsyncEngine]:
    async with disposed_engine(gateway_db_url) as engine:
        yield engine


@pytest.fixture
async def gateway_session(gateway_engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """Rolled back at the end of the test, like ``enrolment_session``."""
    async with gateway_engine.connect() as connection:
        transaction = await connection.begin()
        session = savepoint_session(connection)
        try:
            yield session
        finally:
            await session.close()
            await transaction.rollback()


@dataclass
class Gateway:
    client: httpx.AsyncClient
    app: FastAPI
    settings: GatewaySettings
    upstreams: Upstreams
    session: AsyncSession


@asynccontextmanager
async def running_gateway(
    settings: GatewaySettings,
    session: AsyncSession,
    upstream_clients: dict[str, httpx.AsyncClient],
    extra_transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
) -> AsyncIterator[Gateway]:
    """The gateway app with its lifespan running, reached over ASGI."""
    upstreams = Upstreams(upstream_clients)
    transport: httpx.AsyncBaseTransport = upstreams
    if extra_transports:
        transport = ByHost(extra_transports, upstreams)
    async with httpx.AsyncClient(transport=transport) as http:
        app = create_app(settings, database=SessionSource(session), http=http)
        async with app.router.lifespan_context(app):
            # The lifespan's first poll of the subgraphs calls the enrolment and indicators
            # apps, which serve from the test's session: a fixture writing to that session
            # meanwhile (the tenant world) would use it concurrently. The next poll is
            # ``graph_poll_interval`` (10 s) away.
            await app.state.graph.first_poll_over.wait()
            gateway_transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
            async with httpx.AsyncClient(
                transport=gateway_transport, base_url="http://gateway.test"
            ) as client:
                yield Gateway(client, app, settings, upstreams, session)


class ByHost(httpx.AsyncBaseTransport):
    """Hosts outside the platform (the identity provider) first, then the services."""

    def __init__(
        self, transports: Mapping[str, httpx.AsyncBaseTransport], fallback: httpx.AsyncBaseTransport
    ) -> None:
        self.transports = transports
        self.fallback = fallback

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        transport = self.transports.get(request.url.host, self.fallback)
        return await transport.handle_async_request(request)


@pytest.fixture
def upstream_clients(api: Api, indicators_api: Api) -> dict[str, httpx.AsyncClient]:
    return {"enrolment.test": api.client, "indicators.test": indicators_api.client}


@pytest.fixture
async def gateway(
    gateway_session: AsyncSession, upstream_clients: dict[str, httpx.AsyncClient]
) -> AsyncIterator[Gateway]:
    async with running_gateway(gateway_settings(), gateway_session, upstream_clients) as running:
        yield running
