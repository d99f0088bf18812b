"""GET /readmodels/status: each consumer's position against its feed, the lag, the last
applied time; and GET /readmodels/enterprises/{id}, an enterprise as the read models hold it."""

from typing import Any
from uuid import uuid4

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from benchmarks.processes import free_port
from services.reporting.app import create_app
from shared.db import Database
from shared.enums import Role
from shared.identity import Principal
from tests.enrolment.support import ILO, Api, World, register
from tests.reporting.fixtures import (
    FEED_READER,
    Story,
    asgi_api,
    enrolment_feed_consumer,
    reporting_settings,
    sync_reporting,
)
from tests.reporting.story_baseline import story, story_baseline

# Every test here stands on the module's story (told once): one that doesn't name it
# would otherwise wait forever on the outbox lock the story's open transaction holds.
pytestmark = pytest.mark.usefixtures("story_baseline")
__all__ = ["story", "story_baseline"]


async def feed_size(api: Api) -> tuple[int, int]:
    """(events in the feed, its head position): positions have gaps, so both."""
    page = (await api.get("/events", params={"after": 0, "limit": 1000})).json()
    return len(page["events"]), page["head_position"]


async def status(reporting_api: Api, as_: Principal = ILO) -> dict[str, Any]:
    response = await reporting_api.get("/readmodels/status", as_=as_)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def by_source(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {feed["source"]: feed for feed in body["feeds"]}


async def test_status_reports_each_feeds_lag_until_its_consumer_catches_up(
    api: Api,
    indicators_api: Api,
    reporting_api: Api,
    reporting_session: AsyncSession,
    world: World,
) -> None:
    enrolment_events, enrolment_head = await feed_size(api)
    assert enrolment_events > 0
    before = by_source(await status(reporting_api))
    assert before["enrolment"]["consumer"] == "reporting.enrolment"
    assert before["enrolment"]["position"] == 0
    assert before["enrolment"]["last_applied_at"] is None
    assert before["enrolment"]["head_position"] == enrolment_head
    assert before["enrolment"]["lag"] == enrolment_events
    assert before["enrolment"]["running"] is False  # tests apply the feeds themselves
    assert before["enrolment"]["error"] is None

    await enrolment_feed_consumer(api, reporting_session).run_until_caught_up()
    partly = await status(reporting_api)
    enrolment = by_source(partly)["enrolment"]
    assert (enrolment["position"], enrolment["lag"]) == (enrolment_head, 0)
    assert enrolment["last_applied_at"] is not None
    # Indicators has emitted its catalogue's events; none applied yet.
    indicators_events, _ = await feed_size(indicators_api)
    assert by_source(partly)["indicators"]["lag"] == indicators_events
    assert partly["caught_up"] is (indicators_events == 0)

    await sync_reporting(api, indicators_api, reporting_session)
    assert (await status(reporting_api))["caught_up"] is True

    # A new registration is one event behind until it is applied.
    await register(api, world.efp_staff)
    assert by_source(await status(reporting_api))["enrolment"]["lag"] == 1
    await sync_reporting(api, indicators_api, reporting_session)
    assert (await status(reporting_api))["caught_up"] is True


async def test_status_is_for_the_ilo_services_and_programme_managers(
    reporting_api: Api, world: World
) -> None:
    assert (await status(reporting_api, FEED_READER))["feeds"]
    assert (await status(reporting_api, world.pakistan_manager))["feeds"]
    for outsider in (world.efp_staff, world.inditex):
        response = await reporting_api.get("/readmodels/status", as_=outsider)
        assert response.status_code == 404
    anonymous = await reporting_api.client.get("/readmodels/status")
    assert anonymous.status_code == 401


async def test_status_names_a_feed_that_does_not_answer(
    reporting_session: AsyncSession, reporting_database: Database
) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    app = create_app(
        reporting_settings(enrolment_url=nowhere, indicators_url=nowhere),
        database=reporting_database,
    )
    async with asgi_api(app, reporting_session) as reporting_api:
        body = await status(reporting_api)
    assert body["caught_up"] is False
    for feed in body["feeds"]:
        assert feed["feed_url"].startswith(nowhere)
        assert (feed["head_position"], feed["lag"]) == (None, None)
        assert "ConnectError" in feed["error"]


async def test_enterprise_read_model_shows_what_reporting_knows(
    api: Api, indicators_api: Api, reporting_api: Api, reporting_session: AsyncSession, story: Story
) -> None:
    url = f"/readmodels/enterprises/{story.enterprise_id}"
    assert (await reporting_api.get(url)).status_code == 404  # not applied yet
    await sync_reporting(api, indicators_api, reporting_session)
    response = await reporting_api.get(url)
    assert response.status_code == 200, response.text
    enterprise = response.json()
    assert enterprise["partner_name"].startswith("Employers' Federation of Pakistan")
    assert enterprise["workforce_total"] == 480
    [enrolment] = enterprise["enrolments"]
    assert (enrolment["project_name"], enrolment["stage"]) == ("ILES Pakistan", "level1")
    consents = {c["buyer_name"].split()[0]: c["status"] for c in enterprise["consents"]}
    assert consents == {"Inditex": "given", "Adidas": "withdrawn"}
    [module] = enterprise["modules"]
    assert (module["module_code"], module["status"], module["completed_on"]) == (
        "workplace_cooperation",
        "completed",
        "2019-05-30",
    )
    assert enterprise["values_by_status"] == {"validated": 2}
    assert enterprise["improvement_team_in_place"] is True
    classmate = (await reporting_api.get(f"/readmodels/enterprises/{story.classmate_id}")).json()
    assert classmate["values_by_status"] == {"returned": 1}
    assert classmate["improvement_team_in_place"] is None


async def test_enterprise_read_model_is_for_global_callers_only(
    api: Api, indicators_api: Api, reporting_api: Api, reporting_session: AsyncSession, story: Story
) -> None:
    await sync_reporting(api, indicators_api, reporting_session)
    url = f"/readmodels/enterprises/{story.enterprise_id}"
    owner = Principal(subject="owner", role=Role.enterprise_user, enterprise_id=story.enterprise_id)
    # Even its own partner and owner: reports apply tenancy, this operator's view does not.
    for caller in (story.world.efp_staff, story.world.pakistan_manager, owner):
        assert (await reporting_api.get(url, as_=caller)).status_code == 404
    assert (await reporting_api.get(url, as_=FEED_READER)).status_code == 200
    unknown = await reporting_api.get(f"/readmodels/enterprises/{uuid4()}")
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
