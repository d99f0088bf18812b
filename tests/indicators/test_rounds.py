"""Measurement rounds: who plans them, their dates, one per project, kind and sequence."""

from typing import Any
from uuid import UUID

from sqlmodel.ext.asyncio.session import AsyncSession

from tests.enrolment.support import ILO, Api
from tests.enrolment.training_support import as_trainer, new_trainer
from tests.indicators.baseline import indicators_world, indicators_world_baseline
from tests.indicators.fixtures import IndicatorsWorld
from tests.indicators.values_support import count_events, events_of, make_round

__all__ = ["indicators_world", "indicators_world_baseline"]


def round_body(project_id: UUID, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "project_id": str(project_id),
        "kind": "baseline",
        "sequence": 1,
        "name": "Baseline 2018",
        "starts_on": "2018-09-01",
        "ends_on": "2018-10-31",
    }
    body.update(overrides)
    return body


async def test_projects_manager_plans_a_baseline(
    indicators_api: Api, indicators_world: IndicatorsWorld, indicators_session: AsyncSession
) -> None:
    world = indicators_world.world
    response = await indicators_api.post(
        "/rounds", json=round_body(world.pakistan_project_id), as_=world.pakistan_manager
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert (created["kind"], created["sequence"], created["ends_on"]) == (
        "baseline",
        1,
        "2018-10-31",
    )
    [event] = await events_of(indicators_session, "measurement_round.created")
    assert (event["round_id"], event["kind"]) == (created["id"], "baseline")


async def test_partner_with_enterprises_in_the_project_plans_rounds(
    indicators_api: Api, indicators_world: IndicatorsWorld
) -> None:
    world = indicators_world.world
    follow_up = round_body(world.pakistan_project_id, kind="follow_up", sequence=2)
    response = await indicators_api.post("/rounds", json=follow_up, as_=world.efp_staff)
    assert response.status_code == 201, response.text


async def test_others_may_not_plan_a_projects_rounds(
    api: Api,
    indicators_api: Api,
    indicators_world: IndicatorsWorld,
    indicators_session: AsyncSession,
) -> None:
    world = indicators_world.world
    trainer = as_trainer(await new_trainer(api, as_=world.efp_staff))
    events = await count_events(indicators_session)
    for outsider in (world.ghana_manager, world.mdpi_staff, world.inditex, trainer):
        response = await indicators_api.post(
            "/rounds", json=round_body(world.pakistan_project_id), as_=outsider
        )
        assert response.status_code == 403, outsider.role
    assert await count_events(indicators_session) == events


async def test_same_kind_and_sequence_twice_is_a_conflict(
    indicators_api: Api, indicators_world: IndicatorsWorld
) -> None:
    project = indicators_world.world.pakistan_project_id
    await make_round(indicators_api, project)
    again = await indicators_api.post("/rounds", json=round_body(project), as_=ILO)
    assert again.status_code == 409
    assert again.json()["errors"][0]["rule"] == "unique_round"
    endline = await indicators_api.post("/rounds", json=round_body(project, kind="endline"))
    assert endline.status_code == 201


async def test_a_round_cannot_end_before_it_starts(
    indicators_api: Api, indicators_world: IndicatorsWorld
) -> None:
    response = await indicators_api.post(
        "/rounds",
        json=round_body(indicators_world.world.pakistan_project_id, ends_on="2018-08-01"),
    )
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert (error["field"], error["rule"]) == ("body.ends_on", "date_order")


async def test_rounds_are_listed_by_project(
    indicators_api: Api, indicators_world: IndicatorsWorld
) -> None:
    world = indicators_world.world
    baseline = await make_round(indicators_api, world.pakistan_project_id)
    endline = await make_round(indicators_api, world.pakistan_project_id, kind="endline")
    await make_round(indicators_api, world.ghana_project_id)
    listed = await indicators_api.get(
        "/rounds", params={"project_id": str(world.pakistan_project_id)}, as_=world.efp_staff
    )
    assert listed.status_code == 200
    assert [r["id"] for r in listed.json()["items"]] == [baseline, endline]
    one = await indicators_api.get(f"/rounds/{endline}", as_=world.efp_staff)
    assert one.json()["kind"] == "endline"
