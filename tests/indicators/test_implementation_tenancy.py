"""Who sees and records implementation records: per role, another tenant's answer 404."""

from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

from sqlmodel.ext.asyncio.session import AsyncSession

from shared.enums import Role
from shared.identity import Principal
from tests.enrolment.support import Api
from tests.enrolment.training_support import certified_trainer
from tests.indicators.baseline import indicators_world, indicators_world_baseline
from tests.indicators.fixtures import IndicatorsWorld, sync_replica

__all__ = ["indicators_world", "indicators_world_baseline"]

FORMED_ON = (date.today() - timedelta(days=30)).isoformat()
PROJECT = {"module_code": "workplace_cooperation", "title": "Suggestion box", "category": "other"}


def enterprise_user(enterprise_id: UUID) -> Principal:
    return Principal(subject="factory-hr", role=Role.enterprise_user, enterprise_id=enterprise_id)


def survey(enterprise_id: UUID, rating: int) -> dict[str, Any]:
    return {
        "enterprise_id": str(enterprise_id),
        "participant_id": str(uuid4()),
        "module_code": "workplace_cooperation",
        "role": "manager",
        "sex": "female",
        "rating": rating,
    }


async def records_of(api: Api, enterprise_id: UUID) -> str:
    """An EIT and a project for the enterprise, recorded by ILO; the project's id."""
    formed = await api.put(f"/enterprises/{enterprise_id}/eit", json={"formed_on": FORMED_ON})
    assert formed.status_code == 201, formed.text
    project = await api.created(f"/enterprises/{enterprise_id}/improvement-projects", PROJECT)
    return str(project["id"])


async def statuses(api: Api, enterprise_id: UUID, project_id: str, as_: Principal) -> list[int]:
    """Status codes of every read and write on one enterprise's records, as ``as_``."""
    base = f"/enterprises/{enterprise_id}"
    return [
        (await api.get(f"{base}/eit", as_=as_)).status_code,
        (await api.put(f"{base}/eit", json={"formed_on": FORMED_ON}, as_=as_)).status_code,
        (await api.get(f"{base}/eit/meetings", as_=as_)).status_code,
        (
            await api.post(
                f"{base}/eit/members",
                json={"name": "Nadia Khan", "role": "worker", "sex": "female"},
                as_=as_,
            )
        ).status_code,
        (await api.get(f"{base}/improvement-projects", as_=as_)).status_code,
        (await api.post(f"{base}/improvement-projects", json=PROJECT, as_=as_)).status_code,
        (await api.get(f"/improvement-projects/{project_id}", as_=as_)).status_code,
        (
            await api.patch(
                f"/improvement-projects/{project_id}", json={"status": "in_progress"}, as_=as_
            )
        ).status_code,
    ]


async def listed_project_ids(api: Api, as_: Principal) -> set[str]:
    response = await api.get("/improvement-projects", as_=as_)
    assert response.status_code == 200
    return {item["id"] for item in response.json()["items"]}


async def test_partner_staff_see_their_enterprises_only(
    indicators_api: Api, indicators_world: IndicatorsWorld
) -> None:
    world = indicators_world.world
    efp_project = await records_of(indicators_api, indicators_world.efp_enterprise_id)
    mdpi_project = await records_of(indicators_api, indicators_world.mdpi_enterprise_id)
    assert (
        await statuses(
            indicators_api, indicators_world.efp_enterprise_id, efp_project, world.mdpi_staff
        )
        == [404] * 8
    )
    assert await statuses(
        indicators_api, indicators_world.efp_enterprise_id, efp_project, world.efp_staff
    ) == [200, 200, 200, 201, 200, 201, 200, 200]
    assert await listed_project_ids(indicators_api, world.mdpi_staff) == {mdpi_project}


async def test_buyers_see_nothing_here(
    indicators_api: Api, indicators_world: IndicatorsWorld
) -> None:
    world = indicators_world.world
    project = await records_of(indicators_api, indicators_world.efp_enterprise_id)
    await indicators_api.post(
        "/satisfaction-responses", json=survey(indicators_world.efp_enterprise_id, 5)
    )
    assert (
        await statuses(indicators_api, indicators_world.efp_enterprise_id, project, world.inditex)
        == [404] * 8
    )
    assert await listed_project_ids(indicators_api, world.inditex) == set()
    responses = await indicators_api.get("/satisfaction-responses", as_=world.inditex)
    assert responses.json()["items"] == []
    summary = await indicators_api.get("/satisfaction-summary", as_=world.inditex)
    assert summary.json()["n"] == 0
    recorded = await indicators_api.post(
        "/satisfaction-responses",
        json=survey(indicators_world.efp_enterprise_id, 5),
        as_=world.inditex,
    )
    assert recorded.status_code == 403


async def test_enterprise_user_sees_and_records_for_their_own_enterprise_only(
    indicators_api: Api, indicators_world: IndicatorsWorld
) -> None:
    own_id, other_id = indicators_world.efp_enterprise_id, indicators_world.efp_other_enterprise_id
    own_project = await records_of(indicators_api, own_id)
    other_project = await records_of(indicators_api, other_id)
    user = enterprise_user(own_id)
    assert await statuses(indicators_api, own_id, own_project, user) == [
        200,
        200,
        200,
        201,
        200,
        201,
        200,
        200,
    ]
    assert await statuses(indicators_api, other_id, other_project, user) == [404] * 8
    other_survey = await indicators_api.post(
        "/satisfaction-responses", json=survey(other_id, 4), as_=user
    )
    assert other_survey.status_code == 422
    assert other_survey.json()["errors"][0]["field"] == "body.enterprise_id"


async def test_programme_manager_reads_their_project_but_records_nothing(
    indicators_api: Api, indicators_world: IndicatorsWorld
) -> None:
    world = indicators_world.world
    efp_project = await records_of(indicators_api, indicators_world.efp_enterprise_id)
    mdpi_project = await records_of(indicators_api, indicators_world.mdpi_enterprise_id)
    assert await statuses(
        indicators_api, indicators_world.efp_enterprise_id, efp_project, world.pakistan_manager
    ) == [200, 403, 200, 403, 200, 403, 200, 403]
    assert (
        await statuses(
            indicators_api,
            indicators_world.mdpi_enterprise_id,
            mdpi_project,
            world.pakistan_manager,
        )
        == [404] * 8
    )


async def test_trainer_sees_only_enterprises_of_cohorts_listing_them(
    api: Api,
    indicators_api: Api,
    indicators_world: IndicatorsWorld,
    indicators_session: AsyncSession,
) -> None:
    world = indicators_world.world
    taught, untaught = indicators_world.efp_enterprise_id, indicators_world.efp_other_enterprise_id
    taught_project = await records_of(indicators_api, taught)
    untaught_project = await records_of(indicators_api, untaught)
    trainer_record = await certified_trainer(api, as_=world.efp_staff, name="Ayesha Siddiqui")
    trainer = Principal(subject="ayesha", role=Role.trainer, trainer_id=UUID(trainer_record["id"]))
    # Not yet assigned to any cohort: nothing is visible.
    assert await statuses(indicators_api, taught, taught_project, trainer) == [404] * 8

    await api.created(
        "/cohorts",
        {
            "project_id": str(world.pakistan_project_id),
            "module_code": "workplace_cooperation",
            "name": "Karachi batch",
            "trainer_ids": [trainer_record["id"]],
            "enterprise_ids": [str(taught)],
        },
        as_=world.efp_staff,
    )
    await sync_replica(api, indicators_session)
    assert await statuses(indicators_api, taught, taught_project, trainer) == [
        200,
        200,
        200,
        201,
        200,
        201,
        200,
        200,
    ]
    assert await statuses(indicators_api, untaught, untaught_project, trainer) == [404] * 8
    recorded = await indicators_api.post(
        "/satisfaction-responses", json=survey(taught, 5), as_=trainer
    )
    assert recorded.status_code == 201


async def test_satisfaction_summary_counts_only_the_callers_responses(
    indicators_api: Api, indicators_world: IndicatorsWorld
) -> None:
    world = indicators_world.world
    batch = [
        survey(indicators_world.efp_enterprise_id, 5),
        survey(indicators_world.efp_enterprise_id, 2),
        survey(indicators_world.mdpi_enterprise_id, 5),
    ]
    response = await indicators_api.post("/satisfaction-responses/batch", json=batch)
    assert response.status_code == 201, response.text

    efp = (await indicators_api.get("/satisfaction-summary", as_=world.efp_staff)).json()
    assert (efp["n"], efp["satisfied_pct"]) == (2, 50.0)
    mdpi = (await indicators_api.get("/satisfaction-summary", as_=world.mdpi_staff)).json()
    assert (mdpi["n"], mdpi["satisfied_pct"]) == (1, 100.0)
    ilo = (await indicators_api.get("/satisfaction-summary")).json()
    assert (ilo["n"], ilo["satisfied_pct"]) == (3, 66.7)
    listed = await indicators_api.get("/satisfaction-responses", as_=world.mdpi_staff)
    assert [r["enterprise_id"] for r in listed.json()["items"]] == [
        str(indicators_world.mdpi_enterprise_id)
    ]
