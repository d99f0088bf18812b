"""Who enters, reads and reviews values: each role within its tenancy, others' values 404."""

from dataclasses import dataclass
from datetime import date
from uuid import UUID

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.enums import Role
from shared.identity import Principal
from tests.enrolment.support import Api
from tests.enrolment.training_support import as_trainer, certified_trainer, new_cohort
from tests.indicators.baseline import indicators_world, indicators_world_baseline
from tests.indicators.fixtures import IndicatorsWorld, sync_replica
from tests.indicators.values_support import (
    accepted_ids,
    count_values,
    errors_of,
    make_indicator,
    post_batch,
    value,
)

# Every test here stands on the module's world (built once): one that doesn't name it
# would otherwise wait forever on the outbox lock the world's open transaction holds.
pytestmark = pytest.mark.usefixtures("indicators_world_baseline")
__all__ = ["indicators_world", "indicators_world_baseline"]


@dataclass
class Tenants:
    world: IndicatorsWorld
    code: str
    efp_value_id: str
    efp_other_value_id: str
    mdpi_value_id: str


@pytest.fixture
async def tenants(
    indicators_api: Api, indicators_world: IndicatorsWorld, indicators_session: AsyncSession
) -> Tenants:
    w = indicators_world
    indicator = await make_indicator(indicators_session)
    efp_value, efp_other_value = await accepted_ids(
        indicators_api,
        [value(w.efp_enterprise_id, indicator, 1), value(w.efp_other_enterprise_id, indicator, 2)],
        as_=w.world.efp_staff,
        submit=True,
    )
    [mdpi_value] = await accepted_ids(
        indicators_api, [value(w.mdpi_enterprise_id, indicator, 3)], as_=w.world.mdpi_staff
    )
    return Tenants(w, indicator.code, efp_value, efp_other_value, mdpi_value)


def enterprise_user(enterprise_id: UUID) -> Principal:
    return Principal(
        subject=f"owner-{enterprise_id}", role=Role.enterprise_user, enterprise_id=enterprise_id
    )


async def test_other_partners_staff_cannot_write_or_read_our_values(
    indicators_api: Api, tenants: Tenants, indicators_session: AsyncSession
) -> None:
    w, mdpi = tenants.world, tenants.world.world.mdpi_staff
    before = await count_values(indicators_session)

    write = await post_batch(
        indicators_api, [value(w.efp_enterprise_id, tenants.code, 9)], as_=mdpi
    )

    assert write.status_code == 422
    assert errors_of(write) == {("body.values.0.enterprise_id", "unknown_enterprise")}
    assert await count_values(indicators_session) == before
    for path in (f"/values/{tenants.efp_value_id}", f"/values/{tenants.efp_value_id}/history"):
        assert (await indicators_api.get(path, as_=mdpi)).status_code == 404
    for step in ("submit", "validate"):
        response = await indicators_api.post(f"/values/{tenants.efp_value_id}/{step}", as_=mdpi)
        assert response.status_code == 404, step
    correction = await indicators_api.post(
        f"/values/{tenants.efp_value_id}/corrections", json={"value": 1, "reason": "x"}, as_=mdpi
    )
    assert correction.status_code == 404
    listed = await indicators_api.get("/values", as_=mdpi)
    assert [v["id"] for v in listed.json()["items"]] == [tenants.mdpi_value_id]


async def test_managers_read_and_review_their_project_only_and_enter_nothing(
    indicators_api: Api, tenants: Tenants
) -> None:
    w = tenants.world.world
    own = await indicators_api.get(f"/values/{tenants.efp_value_id}", as_=w.pakistan_manager)
    assert own.status_code == 200
    other = await indicators_api.get(f"/values/{tenants.efp_value_id}", as_=w.ghana_manager)
    assert other.status_code == 404
    review = await indicators_api.post(
        f"/values/{tenants.efp_value_id}/validate", as_=w.ghana_manager
    )
    assert review.status_code == 404
    entry = await post_batch(
        indicators_api,
        [value(tenants.world.efp_enterprise_id, tenants.code, 1)],
        as_=w.pakistan_manager,
    )
    assert entry.status_code == 403


async def test_trainer_enters_values_for_their_cohorts_enterprises_only(
    api: Api, indicators_api: Api, tenants: Tenants, indicators_session: AsyncSession
) -> None:
    w = tenants.world
    trainer = await certified_trainer(api, as_=w.world.efp_staff)
    await new_cohort(
        api, w.world, [str(w.efp_enterprise_id)], trainer_ids=[trainer["id"]], as_=w.world.efp_staff
    )
    await sync_replica(api, indicators_session)
    principal = as_trainer(trainer)

    batch = await post_batch(
        indicators_api,
        [
            value(w.efp_enterprise_id, tenants.code, 5, month=date(2020, 1, 1)),
            value(w.efp_other_enterprise_id, tenants.code, 5, month=date(2020, 1, 1)),
        ],
        as_=principal,
        mode="per_row",
    )

    first, second = batch.json()["results"]
    assert first["status"] == "accepted"
    assert second["errors"][0]["rule"] == "unknown_enterprise"
    assert (
        await indicators_api.get(f"/values/{tenants.efp_value_id}", as_=principal)
    ).status_code == 200
    hidden = await indicators_api.get(f"/values/{tenants.efp_other_value_id}", as_=principal)
    assert hidden.status_code == 404
    review = await indicators_api.post(f"/values/{tenants.efp_value_id}/validate", as_=principal)
    assert review.status_code == 403


async def test_enterprise_user_enters_and_reads_their_own_only(
    indicators_api: Api, tenants: Tenants
) -> None:
    w = tenants.world
    owner = enterprise_user(w.efp_enterprise_id)
    own = await post_batch(
        indicators_api,
        [value(w.efp_enterprise_id, tenants.code, 7, month=date(2020, 2, 1))],
        as_=owner,
    )
    assert own.status_code == 201, own.text
    other = await post_batch(
        indicators_api, [value(w.efp_other_enterprise_id, tenants.code, 7)], as_=owner
    )
    assert errors_of(other) == {("body.values.0.enterprise_id", "unknown_enterprise")}
    listed = await indicators_api.get("/values", as_=owner)
    assert {v["enterprise_id"] for v in listed.json()["items"]} == {str(w.efp_enterprise_id)}
    hidden = await indicators_api.get(f"/values/{tenants.efp_other_value_id}", as_=owner)
    assert hidden.status_code == 404
    review = await indicators_api.post(f"/values/{tenants.efp_value_id}/validate", as_=owner)
    assert review.status_code == 403


async def test_buyers_see_and_enter_nothing_here(indicators_api: Api, tenants: Tenants) -> None:
    w = tenants.world
    buyer = w.world.inditex
    entry = await post_batch(
        indicators_api, [value(w.efp_enterprise_id, tenants.code, 1)], as_=buyer
    )
    assert entry.status_code == 403
    assert (await indicators_api.get("/values", as_=buyer)).status_code == 403
    assert (
        await indicators_api.get(f"/values/{tenants.efp_value_id}", as_=buyer)
    ).status_code == 403
    assert (await indicators_api.get("/rounds", as_=buyer)).status_code == 403


async def test_partner_staff_review_their_own_enterprises_values(
    indicators_api: Api, tenants: Tenants
) -> None:
    # Another officer of the same partner: the one who entered the value may not (four eyes).
    efp = tenants.world.world.efp_staff.model_copy(update={"subject": "efp-reviewer"})
    validated = await indicators_api.post(f"/values/{tenants.efp_value_id}/validate", as_=efp)
    assert validated.status_code == 200
    assert validated.json()["reviewed_by"] == "partner_staff:efp-reviewer"


async def test_requests_without_a_token_are_refused(indicators_api: Api) -> None:
    response = await indicators_api.client.post("/values/batches", json={"values": []})
    assert response.status_code == 401
