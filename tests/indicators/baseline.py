"""``indicators_world`` built once per test module instead of once per test, for the modules
whose tests only stand on it: a module imports both fixtures here (``indicators_world``
then overrides the per-test one) and each of its tests runs in a savepoint of the
baseline's transactions (``tests.conftest.shared_transactions``), rolled back after it.

``module_baseline`` is how every such baseline is built (the suppliers' too)."""

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.storage import StorageSettings
from tests.conftest import Baseline, BaselineGround, open_transactions, savepoint_session
from tests.enrolment.fixtures import build_world, enrolment_api
from tests.enrolment.support import Api, World, platform_settings
from tests.indicators.fixtures import IndicatorsWorld, build_indicators_world, indicators_app_api

T = TypeVar("T")


@dataclass
class BaselineParts:
    """What a baseline is built with: the enrolment and indicators apps on savepoint
    sessions of the module's transactions, and the tenants' world registered through them."""

    enrolment_api: Api
    indicators_api: Api
    world: World
    enrolment_session: AsyncSession
    indicators_session: AsyncSession
    reporting_session: AsyncSession


async def module_baseline(
    build: Callable[[BaselineParts], Awaitable[T]], ground: BaselineGround
) -> AsyncIterator[Baseline[T]]:
    """Open the module's transactions on the three databases of ``ground``, ``build`` in
    them through the same APIs, services and consumers as the per-test fixtures, and yield
    what was built until the module ends."""
    storage = StorageSettings(path=ground.files, platform=platform_settings())
    enrolment_database, indicators_database = ground.enrolment_database, ground.indicators_database
    async with open_transactions(*ground.engines) as open_:
        sessions = [savepoint_session(connection) for connection in open_.connections()]
        enrolment_session, indicators_session, reporting_session = sessions
        try:
            async with (
                enrolment_api(enrolment_session, enrolment_database) as api,
                indicators_app_api(indicators_session, indicators_database, storage) as ind_api,
            ):
                world = await build_world(enrolment_session)
                built = await build(
                    BaselineParts(
                        api,
                        ind_api,
                        world,
                        enrolment_session,
                        indicators_session,
                        reporting_session,
                    )
                )
        finally:
            for session in sessions:
                await session.close()
        yield Baseline(open_, built)


async def _indicators_world(parts: BaselineParts) -> IndicatorsWorld:
    return await build_indicators_world(
        parts.enrolment_api, parts.world, parts.enrolment_session, parts.indicators_session
    )


@pytest.fixture(scope="module")
async def indicators_world_baseline(
    baseline_ground: BaselineGround,
) -> AsyncIterator[Baseline[IndicatorsWorld]]:
    """The tenants and their four enterprises, registered, enrolled and replicated through
    the same APIs, services and consumer as the per-test fixture."""
    async for baseline in module_baseline(_indicators_world, baseline_ground):
        yield baseline


@pytest.fixture
def indicators_world(indicators_world_baseline: Baseline[IndicatorsWorld]) -> IndicatorsWorld:
    return indicators_world_baseline.data
