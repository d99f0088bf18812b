"""Indicators fixtures: its migrated database, the real app over ASGI, and the enrolment
replica filled from the real enrolment app's event feed."""

import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.lifecycle.service import lifecycle_service
from services.indicators.app import create_app
from services.indicators.db import plumbing
from services.indicators.replica.consumer import CONSUMER_NAME, apply_enrolment_event
from services.indicators.settings import IndicatorsSettings
from shared.consumer import FeedConsumer
from shared.db import Database
from shared.enums import LifecycleStage, Role
from shared.identity import Principal
from shared.storage import StorageSettings, storage_settings
from tests.conftest import (
    APPS,
    OpenTransactions,
    asgi_api,
    asgi_feed_consumer,
    disposed_engine,
    migrated_database_url,
    session_for_test,
)
from tests.enrolment.support import (
    FEED_KEY_PEMS,
    ILO,
    Api,
    World,
    platform_settings,
    register,
)

FEED_READER = Principal(subject="indicators-service", role=Role.service)
# Where ``shared.storage.StorageSettings`` reads its local folder from.
STORAGE_PATH = "SCORE_STORAGE_PATH"


@pytest.fixture(scope="session")
async def indicators_url(pg_socket_dir: str) -> str:
    return await migrated_database_url(pg_socket_dir, "indicators", "test_indicators")


@pytest.fixture(scope="session")
async def indicators_engine(indicators_url: str) -> AsyncIterator[AsyncEngine]:
    async with disposed_engine(indicators_url) as engine:
        yield engine


@pytest.fixture(scope="session")
def indicators_database(indicators_url: str) -> Database:
    return Database(indicators_url, pool_size=2)


@pytest.fixture
async def indicators_session(
    indicators_engine: AsyncEngine, shared_transactions: OpenTransactions | None
) -> AsyncIterator[AsyncSession]:
    """Rolled back at the end of the test, like ``enrolment_session``."""
    shared = shared_transactions.indicators if shared_transactions else None
    async with session_for_test(indicators_engine, shared) as session:
        yield session


@pytest.fixture
def file_storage(tmp_path: Path) -> StorageSettings:
    """Uploaded files in a folder of the test's own (the local backend of the file store)."""
    return StorageSettings(path=tmp_path / "files", platform=platform_settings())


@asynccontextmanager
async def indicators_app_api(
    session: AsyncSession, database: Database, storage: StorageSettings
) -> AsyncIterator[Api]:
    """The indicators app over ASGI, its requests in ``session`` and its files in ``storage``."""

    def build() -> FastAPI:
        # The replica is filled explicitly by sync_replica(); no background consumer in tests.
        settings = IndicatorsSettings(
            platform=platform_settings(),
            feed_key=FEED_KEY_PEMS["indicators"],  # type: ignore[arg-type]
            consume_enrolment=False,
        )
        return create_app(settings, database=database)

    with APPS.lend(("indicators", database), build) as app, storing_in(storage):
        async with asgi_api(app, session, "http://indicators.test") as client:
            yield client


@contextmanager
def storing_in(storage: StorageSettings) -> Iterator[None]:
    """The apps' file routes keep their files in ``storage``'s folder until the block ends:
    ``shared.storage.storage_settings`` reads it from the environment, as in a service's
    process, once (``lru_cache``: cleared here on the way in and out). A dependency
    override would do it too, but an app with any makes FastAPI analyse every dependency
    of every request again."""
    assert storage.path is not None, "a test's files go to a folder of its own"
    before = os.environ.get(STORAGE_PATH)
    os.environ[STORAGE_PATH] = str(storage.path)
    storage_settings.cache_clear()
    try:
        # Only the folder comes through the environment: the rest must be as given.
        served = storage_settings().model_dump(exclude={"platform"})
        assert served == storage.model_dump(exclude={"platform"}), (served, storage)
        yield
    finally:
        if before is None:
            del os.environ[STORAGE_PATH]
        else:
            os.environ[STORAGE_PATH] = before
        storage_settings.cache_clear()


@pytest.fixture
async def indicators_api(
    indicators_session: AsyncSession, indicators_database: Database, file_storage: StorageSettings
) -> AsyncIterator[Api]:
    async with indicators_app_api(indicators_session, indicators_database, file_storage) as client:
        yield client


def replica_consumer(api: Api, session: AsyncSession) -> FeedConsumer:
    """The indicators replica consumer, reading the enrolment app's feed over HTTP."""
    return asgi_feed_consumer(
        CONSUMER_NAME,
        api,
        session,
        plumbing=plumbing,
        handler=apply_enrolment_event,
        reader="indicators",
        producer_name="enrolment",
    )


async def sync_replica(api: Api, session: AsyncSession) -> int:
    """Bring the indicators replica up to date with everything enrolment has emitted."""
    return await replica_consumer(api, session).run_until_caught_up()


@dataclass
class IndicatorsWorld:
    """The enrolment world plus enterprises in a measurable stage, replicated here."""

    world: World
    efp_enterprise_id: UUID
    efp_other_enterprise_id: UUID
    mdpi_enterprise_id: UUID
    not_enrolled_enterprise_id: UUID


MEASUREMENT_PATH = (
    LifecycleStage.eligible,
    LifecycleStage.shortlisted,
    LifecycleStage.initial_assessment,
    LifecycleStage.baseline_assessment,
    LifecycleStage.consent_signed,
    LifecycleStage.level1,
)


async def enrol_for_measurement(
    api: Api,
    enrolment_session: AsyncSession,
    *,
    as_: Principal,
    project_id: UUID,
    stage: LifecycleStage = LifecycleStage.level1,
    **profile: Any,
) -> UUID:
    """Register an enterprise (``profile`` overrides the factory's) through the API and walk
    it to ``stage`` in the project.

    The screening and shortlisting steps are the platform's own, so they are taken through
    the lifecycle service as the system takes them; each still emits its event.
    """
    enterprise_id = UUID((await register(api, as_, **profile))["id"])
    enrolment = await lifecycle_service.ensure_enrolment(
        enrolment_session, project_id=project_id, enterprise_id=enterprise_id, principal=ILO
    )
    if stage is not LifecycleStage.expression_of_interest:
        for step in MEASUREMENT_PATH[: MEASUREMENT_PATH.index(stage) + 1]:
            await lifecycle_service.transition(
                enrolment_session,
                enrolment,
                step,
                principal=ILO,
                by_system=True,
                consent_form_reference="consent-form.pdf",
            )
    await enrolment_session.commit()
    return enterprise_id


@pytest.fixture
async def indicators_world(
    api: Api,
    world: World,
    enrolment_session: AsyncSession,
    indicators_session: AsyncSession,
) -> IndicatorsWorld:
    return await build_indicators_world(api, world, enrolment_session, indicators_session)


async def build_indicators_world(
    api: Api, world: World, enrolment_session: AsyncSession, indicators_session: AsyncSession
) -> IndicatorsWorld:
    """The ``indicators_world`` fixture's enterprises, enrolled through ``api`` on ``world``
    and replicated into ``indicators_session``."""
    pakistan, ghana = world.pakistan_project_id, world.ghana_project_id
    result = IndicatorsWorld(
        world=world,
        efp_enterprise_id=await enrol_for_measurement(
            api, enrolment_session, as_=world.efp_staff, project_id=pakistan
        ),
        efp_other_enterprise_id=await enrol_for_measurement(
            api, enrolment_session, as_=world.efp_staff, project_id=pakistan
        ),
        mdpi_enterprise_id=await enrol_for_measurement(
            api, enrolment_session, as_=world.mdpi_staff, project_id=ghana
        ),
        not_enrolled_enterprise_id=await enrol_for_measurement(
            api,
            enrolment_session,
            as_=world.efp_staff,
            project_id=pakistan,
            stage=LifecycleStage.expression_of_interest,
        ),
    )
    await sync_replica(api, indicators_session)
    return result
