"""Satisfaction survey responses: one per participant and module, batches all or nothing,
and the satisfaction rate as published."""

from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.indicators.db import plumbing
from services.indicators.satisfaction.models import SatisfactionResponse
from tests.enrolment.support import Api
from tests.indicators.baseline import indicators_world, indicators_world_baseline
from tests.indicators.fixtures import IndicatorsWorld, enrol_for_measurement, sync_replica
from tests.indicators.values_support import events_of

__all__ = ["indicators_world", "indicators_world_baseline"]

MODULE = "workplace_cooperation"


def fields(response: Any) -> dict[str, str]:
    return {error["field"]: error["rule"] for error in response.json().get("errors", [])}


def rating(enterprise_id: UUID, value: int = 5, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "enterprise_id": str(enterprise_id),
        "participant_id": str(uuid4()),
        "module_code": MODULE,
        "role": "worker",
        "sex": "female",
        "rating": value,
        "would_recommend": True,
    }
    body.update(overrides)
    return body


async def stored(session: AsyncSession) -> int:
    count = await session.execute(select(func.count()).select_from(SatisfactionResponse))
    return int(count.scalar_one())


async def test_response_is_recorded_with_its_event_and_audit(
    indicators_api: Api, indicators_world: IndicatorsWorld, indicators_session: AsyncSession
) -> None:
    world = indicators_world.world
    body = rating(indicators_world.efp_enterprise_id, 4, role="manager", sex="male")
    body["comments"] = "The 5S exercise was the most useful part"
    response = await indicators_api.post("/satisfaction-responses", json=body, as_=world.efp_staff)
    assert response.status_code == 201, response.text
    recorded = response.json()
    assert recorded["rating"] == 4
    outbox = plumbing.outbox
    [event] = (
        await indicators_session.execute(
            select(outbox.c.event_type, outbox.c.payload).where(
                outbox.c.aggregate_id == UUID(recorded["id"])
            )
        )
    ).all()
    assert event.event_type == "satisfaction.recorded"
    assert event.payload["enterprise_id"] == str(indicators_world.efp_enterprise_id)
    assert event.payload["module_code"] == MODULE
    assert (event.payload["rating"], event.payload["sex"], event.payload["role"]) == (
        4,
        "male",
        "manager",
    )
    assert "comments" not in event.payload
    audit = plumbing.audit
    [action] = (
        await indicators_session.execute(
            select(audit.c.action).where(audit.c.entity_id == UUID(recorded["id"]))
        )
    ).all()
    assert action.action == "satisfaction_response.recorded"


async def test_rating_outside_one_to_five_is_refused_naming_the_field(
    indicators_api: Api, indicators_world: IndicatorsWorld, indicators_session: AsyncSession
) -> None:
    for value in (6, 0):
        response = await indicators_api.post(
            "/satisfaction-responses", json=rating(indicators_world.efp_enterprise_id, value)
        )
        assert response.status_code == 422
        assert list(fields(response)) == ["body.rating"]
    assert await stored(indicators_session) == 0


async def test_second_response_of_a_participant_for_a_module_is_a_conflict(
    indicators_api: Api, indicators_world: IndicatorsWorld
) -> None:
    body = rating(indicators_world.efp_enterprise_id, 5)
    first = await indicators_api.post("/satisfaction-responses", json=body)
    assert first.status_code == 201
    again = await indicators_api.post("/satisfaction-responses", json=body | {"rating": 2})
    assert again.status_code == 409
    problem = again.json()
    assert fields(again) == {"body.participant_id": "unique"}
    assert problem["participant_id"] == body["participant_id"]
    assert problem["module_code"] == MODULE
    assert problem["existing_response_id"] == first.json()["id"]
    # The same participant rating another module is a new response.
    other_module = await indicators_api.post(
        "/satisfaction-responses", json=body | {"module_code": "quality_management"}
    )
    assert other_module.status_code == 201


async def test_batch_with_one_bad_item_records_nothing_and_names_the_item(
    indicators_api: Api, indicators_world: IndicatorsWorld, indicators_session: AsyncSession
) -> None:
    enterprise_id = indicators_world.efp_enterprise_id
    batch = [rating(enterprise_id, 5), rating(enterprise_id, 4), rating(enterprise_id, 9)]
    response = await indicators_api.post("/satisfaction-responses/batch", json=batch)
    assert response.status_code == 422
    assert list(fields(response)) == ["body.2.rating"]
    assert await stored(indicators_session) == 0

    # Checks against the replica fail the whole batch the same way.
    batch[2] = rating(indicators_world.mdpi_enterprise_id, 5)
    refused = await indicators_api.post(
        "/satisfaction-responses/batch", json=batch, as_=indicators_world.world.efp_staff
    )
    assert refused.status_code == 422
    assert fields(refused) == {"body.2.enterprise_id": "enterprise"}
    assert await stored(indicators_session) == 0


async def test_batch_refuses_a_participant_twice_and_an_existing_response(
    indicators_api: Api, indicators_world: IndicatorsWorld, indicators_session: AsyncSession
) -> None:
    enterprise_id = indicators_world.efp_enterprise_id
    existing = rating(enterprise_id, 3)
    assert (await indicators_api.post("/satisfaction-responses", json=existing)).status_code == 201
    twice = rating(enterprise_id, 5)
    batch = [twice, rating(enterprise_id, 4), twice | {"rating": 1}, existing]
    response = await indicators_api.post("/satisfaction-responses/batch", json=batch)
    assert response.status_code == 409
    assert fields(response) == {
        "body.2.participant_id": "unique",
        "body.3.participant_id": "unique",
    }
    assert await stored(indicators_session) == 1


async def test_batch_retried_with_the_same_idempotency_key_returns_the_first_result(
    indicators_api: Api, indicators_world: IndicatorsWorld, indicators_session: AsyncSession
) -> None:
    enterprise_id = indicators_world.efp_enterprise_id
    batch = [rating(enterprise_id, 5), rating(enterprise_id, 2, sex="male")]
    key = {"Idempotency-Key": f"efp-survey-{uuid4()}"}
    first = await indicators_api.post("/satisfaction-responses/batch", json=batch, headers=key)
    assert first.status_code == 201, first.text
    assert first.json()["recorded"] == 2
    retry = await indicators_api.post("/satisfaction-responses/batch", json=batch, headers=key)
    assert retry.status_code == 201
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json() == first.json()
    assert await stored(indicators_session) == 2
    # Without the key the same batch is a duplicate.
    unkeyed = await indicators_api.post("/satisfaction-responses/batch", json=batch)
    assert unkeyed.status_code == 409


async def test_summary_gives_the_satisfied_share_exactly_by_sex_and_role(
    indicators_api: Api, indicators_world: IndicatorsWorld
) -> None:
    enterprise_id = indicators_world.efp_enterprise_id
    batch = [
        rating(enterprise_id, 5, sex="female", role="manager", would_recommend=True),
        rating(enterprise_id, 4, sex="male", role="worker", would_recommend=True),
        rating(enterprise_id, 3, sex="female", role="worker", would_recommend=False),
        rating(enterprise_id, 5, sex="male", role="worker", would_recommend=None),
        # Another module: outside the summary below.
        rating(enterprise_id, 1, module_code="quality_management"),
    ]
    response = await indicators_api.post("/satisfaction-responses/batch", json=batch)
    assert response.status_code == 201, response.text

    summary = (
        await indicators_api.get("/satisfaction-summary", params={"module_code": MODULE})
    ).json()
    assert (summary["n"], summary["satisfied"], summary["satisfied_pct"]) == (4, 3, 75.0)
    assert summary["mean_rating"] == 4.25
    assert summary["would_recommend_pct"] == 66.7
    assert summary["by_sex"]["female"] == {
        "n": 2,
        "satisfied": 1,
        "satisfied_pct": 50.0,
        "mean_rating": 4.0,
    }
    assert summary["by_sex"]["male"]["satisfied_pct"] == 100.0
    assert summary["by_role"]["manager"]["n"] == 1
    assert summary["by_role"]["worker"]["satisfied_pct"] == 66.7

    everything = (await indicators_api.get("/satisfaction-summary")).json()
    assert (everything["n"], everything["satisfied_pct"]) == (5, 60.0)
    nothing = (
        await indicators_api.get("/satisfaction-summary", params={"module_code": "lean"})
    ).json()
    assert (nothing["n"], nothing["satisfied_pct"], nothing["mean_rating"]) == (0, None, None)


async def test_responses_are_listed_by_module_and_cohort(
    api: Api,
    indicators_api: Api,
    indicators_world: IndicatorsWorld,
    indicators_session: AsyncSession,
) -> None:
    world = indicators_world.world
    enterprise_id = indicators_world.efp_enterprise_id
    cohort = await api.created(
        "/cohorts",
        {
            "project_id": str(world.pakistan_project_id),
            "module_code": MODULE,
            "name": "Karachi batch",
            "enterprise_ids": [str(enterprise_id)],
        },
        as_=world.efp_staff,
    )
    await sync_replica(api, indicators_session)
    in_cohort = rating(enterprise_id, 5, cohort_id=cohort["id"])
    assert (await indicators_api.post("/satisfaction-responses", json=in_cohort)).status_code == 201
    await indicators_api.post("/satisfaction-responses", json=rating(enterprise_id, 2))

    by_cohort = await indicators_api.get(
        "/satisfaction-responses", params={"cohort_id": cohort["id"]}
    )
    assert [r["participant_id"] for r in by_cohort.json()["items"]] == [in_cohort["participant_id"]]
    summary = await indicators_api.get("/satisfaction-summary", params={"cohort_id": cohort["id"]})
    assert (summary.json()["n"], summary.json()["satisfied_pct"]) == (1, 100.0)

    wrong_module = await indicators_api.post(
        "/satisfaction-responses",
        json=rating(enterprise_id, cohort_id=cohort["id"], module_code="quality_management"),
    )
    assert fields(wrong_module) == {"body.module_code": "cohort_module"}
    not_in_cohort = await indicators_api.post(
        "/satisfaction-responses",
        json=rating(indicators_world.efp_other_enterprise_id, cohort_id=cohort["id"]),
    )
    assert fields(not_in_cohort) == {"body.cohort_id": "cohort_enterprise"}
    unknown_cohort = await indicators_api.post(
        "/satisfaction-responses", json=rating(enterprise_id, cohort_id=str(uuid4()))
    )
    assert fields(unknown_cohort) == {"body.cohort_id": "cohort_enterprise"}


async def dated_project(
    api: Api, enrolment_session: AsyncSession, indicators_session: AsyncSession, world: Any
) -> UUID:
    """An enterprise of a project that ran from March 2019 to June 2021, replicated here."""
    project = await api.created(
        "/projects",
        {
            "name": "ILES Pakistan phase I",
            "country": "PK",
            "start_date": "2019-03-01",
            "end_date": "2021-06-30",
            "partner_ids": [str(world.efp_id)],
        },
    )
    enterprise = await enrol_for_measurement(
        api, enrolment_session, as_=world.efp_staff, project_id=UUID(project["id"])
    )
    await sync_replica(api, indicators_session)
    return enterprise


async def test_ratings_are_dated_and_may_be_backdated_within_the_projects_period(
    api: Api,
    indicators_api: Api,
    indicators_world: IndicatorsWorld,
    enrolment_session: AsyncSession,
    indicators_session: AsyncSession,
) -> None:
    world = indicators_world.world
    enterprise = await dated_project(api, enrolment_session, indicators_session, world)

    backdated = await indicators_api.post(
        "/satisfaction-responses",
        json=rating(enterprise, 5, rated_on="2020-11-15"),
        as_=world.efp_staff,
    )
    today = await indicators_api.post(
        "/satisfaction-responses",
        json=rating(indicators_world.efp_enterprise_id, 4),
        as_=world.efp_staff,
    )

    assert backdated.status_code == 201, backdated.text
    assert backdated.json()["rated_on"] == "2020-11-15"
    assert today.json()["rated_on"] == date.today().isoformat()
    [event] = [
        e
        for e in await events_of(indicators_session, "satisfaction.recorded")
        if e["response_id"] == backdated.json()["id"]
    ]
    assert event["rated_on"] == "2020-11-15"


async def test_a_rating_outside_the_projects_period_or_in_the_future_is_refused(
    api: Api,
    indicators_api: Api,
    indicators_world: IndicatorsWorld,
    enrolment_session: AsyncSession,
    indicators_session: AsyncSession,
) -> None:
    world = indicators_world.world
    enterprise = await dated_project(api, enrolment_session, indicators_session, world)
    before = await stored(indicators_session)

    response = await indicators_api.post(
        "/satisfaction-responses/batch",
        json=[
            rating(enterprise, 5, rated_on="2018-12-31"),
            rating(enterprise, 5, rated_on=(date.today() + timedelta(days=1)).isoformat()),
            rating(enterprise, 5, rated_on="2021-06-30"),
        ],
        as_=world.efp_staff,
    )

    assert response.status_code == 422
    assert fields(response) == {
        "body.0.rated_on": "within_project_period",
        "body.1.rated_on": "not_future",
    }
    assert "2019-03-01 to 2021-06-30" in response.json()["errors"][0]["message"]
    assert await stored(indicators_session) == before
