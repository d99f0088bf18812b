"""The gateway's schema comes only from its migrations, and they match its models."""

from sqlalchemy.ext.asyncio import AsyncEngine

from services.gateway.models import metadata
from tests.test_migrations import _diff


async def test_gateway_migrations_match_the_models(gateway_engine: AsyncEngine) -> None:
    async with gateway_engine.connect() as connection:
        differences = await connection.run_sync(_diff, metadata)
    assert differences == [], "models changed without a migration: " + repr(differences)
