"""Retries are safe on every write: the same Idempotency-Key gets the first answer back and
writes nothing twice, on any POST, PUT, PATCH or DELETE of any service, without the route
having to ask for it."""

import json
from typing import Any
from uuid import uuid4

import httpx
from sqlalchemy import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.catalogue.standard import ensure_standard_modules
from services.enrolment.delivery.models import Participant
from services.enrolment.organisations.models import Project
from services.indicators.values.models import IndicatorValue
from tests.enrolment.support import Api, World
from tests.enrolment.training_support import enrolled_enterprises, new_cohort
from tests.indicators.fixtures import IndicatorsWorld
from tests.indicators.values_support import make_indicator, make_round, post_batch, value


async def rows(session: AsyncSession, model: Any) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def keyed(key: str) -> dict[str, str]:
    return {"Idempotency-Key": key}


async def roster(api: Api, world: World, session: AsyncSession) -> tuple[str, dict[str, Any]]:
    """A cohort's participants URL, and a person to add to it."""
    await ensure_standard_modules(session)
    await session.commit()
    enterprises = await enrolled_enterprises(api, session, world, 4)
    cohort = await new_cohort(api, world, enterprises)
    person = {"enterprise_id": enterprises[0], "name": "Sana Iqbal", "role": "worker"}
    return f"/cohorts/{cohort['id']}/participants", person | {"sex": "female"}


async def test_a_retried_project_creation_makes_one_project(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    body = {"name": f"ILES Sindh {uuid4().hex[:6]}", "country": "PK"}
    key = keyed(f"project-{uuid4()}")
    first = await api.post("/projects", json=body, headers=key)
    assert first.status_code == 201, first.text
    before_retry = await rows(enrolment_session, Project)

    retry = await api.post("/projects", json=body, headers=key)

    assert retry.status_code == 201
    assert retry.headers["Idempotent-Replayed"] == "true"
    # The very answer, its fields in their order too (stored as jsonb, they came back
    # sorted by length: a subgraph's GraphQL answer out of its selection's order).
    assert in_order(retry.content) == in_order(first.content)
    assert await rows(enrolment_session, Project) == before_retry


def in_order(body: bytes) -> Any:
    """A JSON body with every object as its list of (name, value) pairs, in order."""
    return json.loads(body, object_pairs_hook=list)


async def test_a_retried_participant_is_added_once(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    url, person = await roster(api, world, enrolment_session)
    key = keyed(f"efp-roster-{uuid4()}")

    first = await api.post(url, json=person, headers=key, as_=world.efp_staff)
    retry = await api.post(url, json=person, headers=key, as_=world.efp_staff)

    assert first.status_code == 201, first.text
    assert (retry.status_code, retry.json()) == (201, first.json())
    listed = await api.get(url, as_=world.efp_staff)
    assert [p["name"] for p in listed.json()["items"]] == ["Sana Iqbal"]
    # Without a key, a second POST is a second person: the key is what makes it a retry.
    again = await api.post(url, json=person, as_=world.efp_staff)
    assert again.status_code == 201
    assert await rows(enrolment_session, Participant) >= 2


async def test_the_same_key_on_another_request_is_refused_and_writes_nothing(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    key = keyed(f"project-{uuid4()}")
    first = await api.post(
        "/projects", json={"name": f"A {uuid4().hex}", "country": "PK"}, headers=key
    )
    assert first.status_code == 201
    before = await rows(enrolment_session, Project)
    other = await api.post(
        "/projects", json={"name": f"B {uuid4().hex}", "country": "PK"}, headers=key
    )
    assert other.status_code == 409
    assert other.json()["errors"][0] == {
        "field": "header.Idempotency-Key",
        "rule": "reused_key",
        "message": "use a new key per request",
    }
    assert await rows(enrolment_session, Project) == before


async def test_a_key_belongs_to_its_caller(api: Api, world: World) -> None:
    key = keyed(f"shared-{uuid4()}")
    mine = await api.post("/enterprises", json=_factory(), headers=key, as_=world.efp_staff)
    theirs = await api.post(
        "/enterprises", json=_factory(country="GH", city="Accra"), headers=key, as_=world.mdpi_staff
    )
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in theirs.headers
    assert mine.json()["id"] != theirs.json()["id"]


def _factory(**overrides: Any) -> dict[str, Any]:
    from tests.enrolment.support import garment_factory

    return garment_factory(**overrides)


async def test_an_overlong_key_is_refused_as_invalid_input(api: Api, world: World) -> None:
    response = await api.post(
        "/projects", json={"name": "X", "country": "PK"}, headers=keyed("k" * 201)
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "header.Idempotency-Key"


async def test_a_dry_run_then_the_real_batch_with_the_same_key_is_not_replayed(
    indicators_api: Api, indicators_world: IndicatorsWorld, indicators_session: AsyncSession
) -> None:
    staff = indicators_world.world.efp_staff
    indicator = await make_indicator(indicators_session, kind="count")
    batch = [value(indicators_world.efp_enterprise_id, indicator, 7)]
    key = f"efp-upload-{uuid4()}"
    dry = await post_batch(indicators_api, batch, as_=staff, key=key, dry_run=True)
    assert dry.status_code == 200, dry.text
    before = await rows(indicators_session, IndicatorValue)

    real = await post_batch(indicators_api, batch, as_=staff, key=key)

    # The query string is part of the request: the dry run's answer is not the real one's.
    assert real.status_code == 409
    assert await rows(indicators_session, IndicatorValue) == before
    fresh = await post_batch(indicators_api, batch, as_=staff, key=f"{key}-real")
    assert fresh.status_code == 201
    assert await rows(indicators_session, IndicatorValue) == before + 1


async def test_a_retried_validation_that_committed_gets_the_first_answer(
    indicators_api: Api, indicators_world: IndicatorsWorld, indicators_session: AsyncSession
) -> None:
    staff = indicators_world.world.efp_staff
    manager = indicators_world.world.pakistan_manager
    indicator = await make_indicator(indicators_session, kind="count")
    baseline = await make_round(indicators_api, indicators_world.world.pakistan_project_id)
    submitted = await post_batch(
        indicators_api,
        [value(indicators_world.efp_enterprise_id, indicator, 12, round_id=baseline)],
        as_=staff,
        submit=True,
    )
    assert submitted.status_code == 201, submitted.text
    ids = {"value_ids": [submitted.json()["results"][0]["value_id"]]}
    key = keyed(f"review-{uuid4()}")

    first = await indicators_api.post("/values/validate", json=ids, headers=key, as_=manager)
    retry = await indicators_api.post("/values/validate", json=ids, headers=key, as_=manager)
    unkeyed = await indicators_api.post("/values/validate", json=ids, as_=manager)

    assert first.status_code == 200, first.text
    assert (retry.status_code, retry.json()) == (200, first.json())
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert unkeyed.status_code == 409  # without the key it is a new request: already validated


async def test_a_retried_delete_answers_its_first_204(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    roster_url, person = await roster(api, world, enrolment_session)
    added = await api.created(roster_url, person, as_=world.efp_staff)
    url = f"{roster_url}/{added['id']}"
    key = keyed(f"remove-{uuid4()}")
    first = await api.delete(url, headers=key, as_=world.efp_staff)
    retry = await api.delete(url, headers=key, as_=world.efp_staff)
    assert (first.status_code, retry.status_code) == (204, 204)
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.content == b""


def test_every_write_of_every_service_documents_the_idempotency_key() -> None:
    from services.enrolment.app import create_app as enrolment
    from services.indicators.app import create_app as indicators
    from services.reporting.app import create_app as reporting

    missing = []
    for create in (enrolment, indicators, reporting):
        document = create().openapi()
        for path, item in document["paths"].items():
            for method in ("post", "put", "patch", "delete"):
                operation = item.get(method)
                if operation is None or path.endswith("/graphql"):
                    continue
                names = {p["name"] for p in operation.get("parameters", [])}
                if "Idempotency-Key" not in names:
                    missing.append(f"{method.upper()} {path}")
    assert missing == []


async def test_a_request_without_a_valid_token_gets_no_ones_recorded_answer(
    api: Api, world: World
) -> None:
    key = keyed(f"project-{uuid4()}")
    body = {"name": f"ILES {uuid4().hex[:6]}", "country": "PK"}
    assert (await api.post("/projects", json=body, headers=key)).status_code == 201
    anonymous = await api.client.post("/projects", json=body, headers=key)
    assert anonymous.status_code == 401
    assert isinstance(anonymous, httpx.Response)
