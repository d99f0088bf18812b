"""Each service's schema comes only from its migrations, and they match its models."""

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, MetaData, text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.enrolment.catalogue.standard import STANDARD_MODULES
from services.enrolment.models import metadata as enrolment_metadata
from services.indicators.models import metadata as indicators_metadata
from services.reporting.models import metadata as reporting_metadata


def _diff(connection: Connection, metadata: MetaData) -> list[Any]:
    context = MigrationContext.configure(
        connection,
        opts={
            "compare_type": True,
            "include_name": lambda name, type_, parent: type_ != "table" or name in metadata.tables,
        },
    )
    return list(compare_metadata(context, metadata))


async def test_enrolment_migrations_match_the_models(enrolment_engine: AsyncEngine) -> None:
    async with enrolment_engine.connect() as connection:
        differences = await connection.run_sync(_diff, enrolment_metadata)
    assert differences == [], "models changed without a migration: " + repr(differences)


async def test_indicators_migrations_match_the_models(indicators_engine: AsyncEngine) -> None:
    async with indicators_engine.connect() as connection:
        differences = await connection.run_sync(_diff, indicators_metadata)
    assert differences == [], "models changed without a migration: " + repr(differences)


async def test_reporting_migrations_match_the_models(reporting_engine: AsyncEngine) -> None:
    async with reporting_engine.connect() as connection:
        differences = await connection.run_sync(_diff, reporting_metadata)
    assert differences == [], "models changed without a migration: " + repr(differences)


async def test_migrated_database_has_the_standard_module_catalogue(
    enrolment_engine: AsyncEngine,
) -> None:
    async with enrolment_engine.connect() as connection:
        codes = set((await connection.execute(text("SELECT code FROM training_module"))).scalars())
    assert {module.code for module in STANDARD_MODULES} <= codes
    assert "workplace_cooperation" in codes
