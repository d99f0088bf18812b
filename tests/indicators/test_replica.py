"""The enrolment replica: built from enrolment's feed, resumable, idempotent."""

from uuid import UUID

import pytest
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.indicators.replica.models import ReplicaCohort, ReplicaEnrolment, ReplicaEnterprise
from tests.enrolment.support import Api, World, register
from tests.enrolment.training_support import certified_trainer
from tests.indicators.baseline import indicators_world, indicators_world_baseline
from tests.indicators.fixtures import (
    IndicatorsWorld,
    replica_consumer,
    sync_replica,
)

# Every test here stands on the module's world (built once): one that doesn't name it
# would otherwise wait forever on the outbox lock the world's open transaction holds.
pytestmark = pytest.mark.usefixtures("indicators_world_baseline")
__all__ = ["indicators_world", "indicators_world_baseline"]


async def test_replica_knows_enterprises_their_partner_and_stage(
    indicators_world: IndicatorsWorld, indicators_session: AsyncSession
) -> None:
    world = indicators_world.world
    enterprise = await indicators_session.get(ReplicaEnterprise, indicators_world.efp_enterprise_id)
    assert enterprise is not None
    assert enterprise.partner_id == world.efp_id
    [enrolment] = (
        await indicators_session.exec(
            select(ReplicaEnrolment).where(
                ReplicaEnrolment.enterprise_id == indicators_world.efp_enterprise_id
            )
        )
    ).all()
    assert enrolment.project_id == world.pakistan_project_id
    assert enrolment.stage == "level1"


async def test_replica_catches_up_after_indicators_was_down(
    api: Api, world: World, indicators_session: AsyncSession
) -> None:
    await sync_replica(api, indicators_session)
    # Indicators is "down": enrolment goes on registering and updating enterprises.
    registered = [UUID((await register(api, world.efp_staff))["id"]) for _ in range(3)]
    await api.patch(f"/enterprises/{registered[0]}", json={"city": "Lahore"}, as_=world.efp_staff)
    # Back up: a new consumer process resumes from the stored cursor.
    applied = await sync_replica(api, indicators_session)
    assert applied == 4
    for enterprise_id in registered:
        assert await indicators_session.get(ReplicaEnterprise, enterprise_id) is not None
    # Nothing is applied twice when it runs again.
    assert await sync_replica(api, indicators_session) == 0


async def test_replica_consumer_reports_its_lag(
    api: Api, world: World, indicators_session: AsyncSession
) -> None:
    consumer = replica_consumer(api, indicators_session)
    await consumer.run_until_caught_up()
    await register(api, world.efp_staff)
    await consumer.fetch(await consumer.position(), wait=0)
    assert consumer.lag() == 1
    await consumer.run_until_caught_up()
    assert consumer.lag() == 0


async def test_cohort_membership_reaches_the_replica(
    api: Api, indicators_world: IndicatorsWorld, indicators_session: AsyncSession
) -> None:
    world = indicators_world.world
    trainer = await certified_trainer(api, as_=world.efp_staff, name="Ayesha Siddiqui")
    cohort = await api.created(
        "/cohorts",
        {
            "project_id": str(world.pakistan_project_id),
            "module_code": "workplace_cooperation",
            "name": "Karachi batch",
            "trainer_ids": [trainer["id"]],
            "enterprise_ids": [str(indicators_world.efp_enterprise_id)],
        },
        as_=world.efp_staff,
    )
    await sync_replica(api, indicators_session)
    replicated = await indicators_session.get(ReplicaCohort, UUID(cohort["id"]))
    assert replicated is not None
    assert replicated.trainer_ids == [UUID(trainer["id"])]
    assert replicated.enterprise_ids == [indicators_world.efp_enterprise_id]
