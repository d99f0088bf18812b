"""``indicators_world`` built once per test module instead of once per test, for the modules
whose tests only stand on it: a module imports both fixtures here (``indicators_world``
then overrides the per-test one) and each of its tests runs in a savepoint of the
baseline's transactions (``tests.conftest.shared_transactions``), rolled back after it."""

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db import Database
from shared.storage import StorageSettings
from tests.conftest import Baseline, open_transactions, savepoint_session
from tests.enrolment.fixtures import build_world, enrolment_api
from tests.enrolment.support import platform_settings
from tests.indicators.fixtures import IndicatorsWorld, build_indicators_world, indicators_app_api


@pytest.fixture(scope="module")
async def indicators_world_baseline(
    enrolment_engine: AsyncEngine,
    indicators_engine: AsyncEngine,
    reporting_engine: AsyncEngine,
    enrolment_database: Database,
    indicators_database: Database,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Baseline[IndicatorsWorld]]:
    """The tenants and their four enterprises, registered, enrolled and replicated through
    the same APIs, services and consumer as the per-test fixture."""
    storage = StorageSettings(path=tmp_path_factory.mktemp("files"), platform=platform_settings())
    async with open_transactions(enrolment_engine, indicators_engine, reporting_engine) as open_:
        enrolment_session = savepoint_session(open_.enrolment)
        indicators_session = savepoint_session(open_.indicators)
        try:
            async with (
                enrolment_api(enrolment_session, enrolment_database) as api,
                indicators_app_api(indicators_session, indicators_database, storage),
            ):
                world = await build_world(enrolment_session)
                built = await build_indicators_world(
                    api, world, enrolment_session, indicators_session
                )
        finally:
            await enrolment_session.close()
            await indicators_session.close()
        yield Baseline(open_, built)


@pytest.fixture
def indicators_world(indicators_world_baseline: Baseline[IndicatorsWorld]) -> IndicatorsWorld:
    return indicators_world_baseline.data
