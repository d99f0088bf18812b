"""A value refused only because indicators has not yet applied an enrolment change is a
transient refusal of its own type, with Retry-After; the same value, once the change is
seen, is accepted; a value that is really wrong keeps its 422."""

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from services.indicators.app import create_app
from services.indicators.settings import IndicatorsSettings
from shared.db import Database
from tests.conftest import asgi_api
from tests.enrolment.support import FEED_KEY_PEMS, Api, platform_settings
from tests.indicators.fixtures import (
    IndicatorsWorld,
    enrol_for_measurement,
    replica_consumer,
    sync_replica,
)
from tests.indicators.imports_support import csv_file
from tests.indicators.values_support import make_indicator, post_batch, value


@pytest.fixture
async def following_api(
    api: Api, indicators_session: AsyncSession, indicators_database: Database
) -> AsyncIterator[Api]:
    """The indicators app with its enrolment consumer attached (not running: the test
    decides when the replica catches up)."""
    settings = IndicatorsSettings(
        platform=platform_settings(),
        feed_key=FEED_KEY_PEMS["indicators"],  # type: ignore[arg-type]
        consume_enrolment=False,
    )
    app = create_app(settings, database=indicators_database)
    app.state.enrolment_consumer = replica_consumer(api, indicators_session)
    async with asgi_api(app, indicators_session, "http://indicators.test") as client:
        yield client


async def test_a_value_for_an_enterprise_enrolled_a_moment_ago_is_a_transient_refusal(
    api: Api,
    following_api: Api,
    indicators_world: IndicatorsWorld,
    enrolment_session: AsyncSession,
    indicators_session: AsyncSession,
) -> None:
    world = indicators_world.world
    indicator = await make_indicator(indicators_session, kind="count")
    newcomer = await enrol_for_measurement(
        api, enrolment_session, as_=world.efp_staff, project_id=world.pakistan_project_id
    )
    batch = [value(newcomer, indicator, 7)]

    early = await post_batch(following_api, batch, as_=world.efp_staff)

    assert early.status_code == 409, early.text
    assert early.headers["content-type"] == "application/problem+json"
    assert int(early.headers["Retry-After"]) > 0
    problem = early.json()
    assert problem["type"].endswith("/enrolment-not-yet-seen")
    assert problem["retry_after"] == int(early.headers["Retry-After"])
    assert problem["errors"][0]["field"] == "body.values.0.enterprise_id"

    await sync_replica(api, indicators_session)
    later = await post_batch(following_api, batch, as_=world.efp_staff)
    assert later.status_code == 201, later.text


async def test_a_value_that_is_really_refused_keeps_its_validation_error(
    following_api: Api, indicators_world: IndicatorsWorld, indicators_session: AsyncSession
) -> None:
    indicator = await make_indicator(indicators_session, kind="count")
    # Caught up with enrolment, where this enterprise has only expressed interest.
    batch = [value(indicators_world.not_enrolled_enterprise_id, indicator, 7)]
    response = await post_batch(following_api, batch, as_=indicators_world.world.efp_staff)
    assert response.status_code == 422, response.text
    assert response.json()["type"].endswith("/validation-error")
    assert "Retry-After" not in response.headers


async def test_an_import_naming_an_enterprise_enrolled_a_moment_ago_is_a_transient_refusal(
    api: Api,
    following_api: Api,
    indicators_world: IndicatorsWorld,
    enrolment_session: AsyncSession,
    indicators_session: AsyncSession,
) -> None:
    world = indicators_world.world
    indicator = await make_indicator(indicators_session, kind="count")
    newcomer = await enrol_for_measurement(
        api, enrolment_session, as_=world.efp_staff, project_id=world.pakistan_project_id
    )
    data = csv_file(
        ["enterprise_id", "indicator_code", "month", "value"],
        [[str(newcomer), indicator.code, "2024-03", 7]],
    )

    async def upload() -> httpx.Response:
        return await following_api.post(
            "/imports",
            content=data,
            headers={"Content-Type": "text/csv"},
            as_=world.efp_staff,
        )

    early = await upload()
    # Not a 422 "unknown enterprise": the file is right, the moment is not.
    assert early.status_code == 409, early.text
    assert early.json()["type"].endswith("/enrolment-not-yet-seen")
    assert int(early.headers["Retry-After"]) > 0
    assert early.json()["errors"][0]["field"] == "file.rows.2.enterprise_id"

    await sync_replica(api, indicators_session)
    later = await upload()
    assert (later.status_code, later.json()["accepted"]) == (200, 1), later.text
