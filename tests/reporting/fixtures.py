"""Reporting fixtures: its migrated database, the real app over ASGI, and its read models
filled from the real enrolment and indicators apps' event feeds."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.catalogue.standard import ensure_standard_modules
from services.reporting.app import create_app
from services.reporting.db import plumbing
from services.reporting.readmodels.projector import (
    ENROLMENT_CONSUMER,
    INDICATORS_CONSUMER,
    apply_enrolment_event,
    apply_indicators_event,
)
from services.reporting.settings import ReportingSettings
from shared.consumer import FeedConsumer, Handler
from shared.db import Database
from shared.enums import Role
from shared.identity import Principal
from tests.conftest import (
    APPS,
    OpenTransactions,
    asgi_feed_consumer,
    disposed_engine,
    migrated_database_url,
    session_for_test,
)
from tests.conftest import asgi_api as asgi_api  # the matrix and status tests import it here
from tests.enrolment.support import FEED_KEY_PEMS, Api, World, platform_settings
from tests.enrolment.training_support import record_evidence
from tests.indicators.fixtures import IndicatorsWorld, sync_replica
from tests.indicators.values_support import accepted_ids, make_round, value

FEED_READER = Principal(subject="reporting-service", role=Role.service)
# The base URLs of the enrolment and indicators ASGI clients (tests/*/fixtures.py).
ENROLMENT_BASE = "http://enrolment.test"
INDICATORS_BASE = "http://indicators.test"
REPORTING_BASE = "http://reporting.test"


@pytest.fixture(scope="session")
async def reporting_url(pg_socket_dir: str) -> str:
    return await migrated_database_url(pg_socket_dir, "reporting", "test_reporting")


@pytest.fixture(scope="session")
async def reporting_engine(reporting_url: str) -> AsyncIterator[AsyncEngine]:
    async with disposed_engine(reporting_url) as engine:
        yield engine


@pytest.fixture(scope="session")
def reporting_database(reporting_url: str) -> Database:
    return Database(reporting_url, pool_size=2)


@pytest.fixture
async def reporting_session(
    reporting_engine: AsyncEngine, shared_transactions: OpenTransactions | None
) -> AsyncIterator[AsyncSession]:
    """Rolled back at the end of the test, like ``enrolment_session``."""
    shared = shared_transactions.reporting if shared_transactions else None
    async with session_for_test(reporting_engine, shared) as session:
        yield session


def reporting_settings(**overrides: object) -> ReportingSettings:
    """Settings of the reporting app under test: the feeds are the ASGI apps' ones."""
    values: dict[str, object] = {
        "platform": platform_settings(),
        "feed_key": FEED_KEY_PEMS["reporting"],
        "consume_feeds": False,
        "deliver_webhooks": False,
        "enrolment_url": ENROLMENT_BASE,
        "indicators_url": INDICATORS_BASE,
    }
    return ReportingSettings.model_validate(values | overrides)


@pytest.fixture
async def reporting_api(
    reporting_session: AsyncSession,
    reporting_database: Database,
    api: Api,
    indicators_api: Api,
) -> AsyncIterator[Api]:
    """The reporting app; its status endpoint asks the enrolment and indicators apps' feeds.

    The read models are filled explicitly by sync_reporting(); no background consumers.
    """

    def build() -> FastAPI:
        return create_app(reporting_settings(), database=reporting_database)

    with APPS.lend(("reporting", reporting_database), build) as app:
        # What create_app(feed_clients=...) keeps: this test's enrolment and indicators apps.
        app.state.feed_clients = {"enrolment": api.client, "indicators": indicators_api.client}
        async with asgi_api(app, reporting_session, REPORTING_BASE) as client:
            yield client


def feed_consumer(name: str, api: Api, session: AsyncSession, handler: Handler) -> FeedConsumer:
    """One of reporting's consumers, reading a real app's feed over ASGI into ``session``."""
    return asgi_feed_consumer(
        name,
        api,
        session,
        plumbing=plumbing,
        handler=handler,
        reader="reporting",
        producer_name="enrolment" if name == ENROLMENT_CONSUMER else "indicators",
    )


def enrolment_feed_consumer(
    api: Api, session: AsyncSession, handler: Handler = apply_enrolment_event
) -> FeedConsumer:
    return feed_consumer(ENROLMENT_CONSUMER, api, session, handler)


def indicators_feed_consumer(
    indicators_api: Api, session: AsyncSession, handler: Handler = apply_indicators_event
) -> FeedConsumer:
    return feed_consumer(INDICATORS_CONSUMER, indicators_api, session, handler)


async def sync_reporting(api: Api, indicators_api: Api, reporting_session: AsyncSession) -> int:
    """Bring reporting's read models up to date with both feeds; returns events applied."""
    applied = await enrolment_feed_consumer(api, reporting_session).run_until_caught_up()
    applied += await indicators_feed_consumer(
        indicators_api, reporting_session
    ).run_until_caught_up()
    return applied


# --- a story told through the public APIs, touching every event reporting projects ------


@dataclass
class Story:
    """What the story wrote through enrolment's and indicators' APIs, by id."""

    measured: IndicatorsWorld
    enterprise_id: UUID  # EFP's, in Pakistan: the story's protagonist
    classmate_id: UUID  # EFP's other enterprise, in the same cohort
    trainer_id: UUID
    cohort_id: UUID
    participant_ids: list[UUID]  # the protagonist's four; the last one was removed
    indicator_id: UUID
    indicator_code: str
    baseline_id: UUID
    endline_id: UUID
    baseline_value_id: UUID  # validated, 12
    endline_value_id: UUID  # validated 8, then corrected to 6 (this id) and validated again
    superseded_value_id: UUID  # the endline's first version
    returned_value_id: UUID  # the classmate's baseline, returned
    team_id: UUID
    improvement_project_id: UUID
    satisfaction_id: UUID

    @property
    def world(self) -> World:
        return self.measured.world


def owner_of(enterprise_id: UUID) -> Principal:
    return Principal(subject="owner", role=Role.enterprise_user, enterprise_id=enterprise_id)


async def _ok(response: httpx.Response) -> Any:
    assert response.status_code in (200, 201), response.text
    return response.json()


async def tell_story(
    api: Api,
    indicators_api: Api,
    measured: IndicatorsWorld,
    enrolment_session: AsyncSession,
    indicators_session: AsyncSession,
) -> Story:
    """Every kind of event reporting projects, written as partners, buyers and the ILO do."""
    world = measured.world
    staff, manager = world.efp_staff, world.pakistan_manager
    enterprise_id, classmate_id = measured.efp_enterprise_id, measured.efp_other_enterprise_id
    await ensure_standard_modules(enrolment_session)
    await enrolment_session.commit()

    # Enrolment: a profile update, consents, a certified trainer, a cohort with its people.
    await _ok(
        await api.patch(
            f"/enterprises/{enterprise_id}",
            json={"workforce_total": 480, "workforce_female": 230, "workforce_male": 250},
            as_=staff,
        )
    )
    owner = owner_of(enterprise_id)
    for buyer in (world.inditex_id, world.adidas_id):
        await _ok(
            await api.post(
                f"/enterprises/{enterprise_id}/consents", json={"buyer_id": str(buyer)}, as_=owner
            )
        )
    await _ok(
        await api.post(
            f"/enterprises/{enterprise_id}/consents/{world.adidas_id}/withdraw",
            json={"reason": "Changed supplier portal"},
            as_=owner,
        )
    )
    trainer = await _ok(
        await api.post(
            "/trainers", json={"name": "Ayesha Khan", "sex": "female", "country": "PK"}, as_=staff
        )
    )
    await record_evidence(api, trainer["id"], as_=staff)
    await _ok(
        await api.put(
            f"/trainers/{trainer['id']}/certifications/workplace_cooperation",
            json={
                "level": "certified",
                "tot_completed_on": "2018-03-10",
                "toe_completed_on": "2018-09-20",
            },
            as_=staff,
        )
    )
    cohort = await _ok(
        await api.post(
            "/cohorts",
            json={
                "project_id": str(world.pakistan_project_id),
                "module_code": "workplace_cooperation",
                "name": "Karachi batch 1",
                "start_date": "2019-02-04",
                "end_date": "2019-05-31",
                "trainer_ids": [trainer["id"]],
                "enterprise_ids": [str(enterprise_id), str(classmate_id)],
            },
            as_=staff,
        )
    )
    participants = [
        await _ok(
            await api.post(
                f"/cohorts/{cohort['id']}/participants",
                json={
                    "enterprise_id": str(enterprise_id),
                    "name": f"{role} {sex}",
                    "role": role,
                    "sex": sex,
                },
                as_=staff,
            )
        )
        for role in ("manager", "worker")
        for sex in ("female", "male")
    ]
    removed = await api.delete(
        f"/cohorts/{cohort['id']}/participants/{participants[-1]['id']}", as_=staff
    )
    assert removed.status_code in (200, 204), removed.text
    await _ok(
        await api.put(
            f"/cohorts/{cohort['id']}/progress/{enterprise_id}",
            json={"status": "completed", "completed_on": "2019-05-30"},
            as_=staff,
        )
    )
    # Indicators' replica learns of the cohort (satisfaction names it).
    await sync_replica(api, indicators_session)

    # Indicators: a catalogue entry and its change, rounds, values through their workflow.
    code = f"rejects_{uuid4().hex[:8]}"
    indicator = await _ok(
        await indicators_api.post(
            "/indicators",
            json={
                "code": code,
                "name_en": "Rejected garments per line",
                "name_fr": "Vêtements rejetés par ligne",
                "name_es": "Prendas rechazadas por línea",
                "kind": "count",
                "unit": "garments",
                "direction": "down",
                "module_code": "quality_management",
                "disaggregations": [],
            },
        )
    )
    await _ok(
        await indicators_api.patch(
            f"/indicators/{code}",
            json={"name_en": "Rejected garments per line per day", "reason": "Clearer name"},
        )
    )
    baseline = await make_round(indicators_api, world.pakistan_project_id, kind="baseline")
    endline = await make_round(indicators_api, world.pakistan_project_id, kind="endline")
    base_id, end_id, returned_id = await accepted_ids(
        indicators_api,
        [
            value(enterprise_id, code, 12, round_id=baseline),
            value(enterprise_id, code, 8, round_id=endline),
            value(classmate_id, code, 20, round_id=baseline),
        ],
        as_=staff,
        submit=True,
    )
    await _ok(
        await indicators_api.post(
            "/values/validate", json={"value_ids": [base_id, end_id]}, as_=manager
        )
    )
    await _ok(
        await indicators_api.post(
            f"/values/{returned_id}/return", json={"reason": "Looks like last year's"}, as_=manager
        )
    )
    corrected = await _ok(
        await indicators_api.post(
            f"/values/{end_id}/corrections",
            json={"value": 6, "reason": "The register shows 6 rejects"},
            as_=staff,
        )
    )
    await _ok(await indicators_api.post(f"/values/{corrected['id']}/validate", as_=manager))

    # Implementation: the improvement team, a project, a participant's rating.
    team = await _ok(
        await indicators_api.put(
            f"/enterprises/{enterprise_id}/eit",
            json={"formed_on": "2019-03-01", "meeting_frequency": "twice a month"},
            as_=staff,
        )
    )
    for role, sex in (("manager", "female"), ("worker", "male")):
        await _ok(
            await indicators_api.post(
                f"/enterprises/{enterprise_id}/eit/members",
                json={"name": f"{role} {sex}", "role": role, "sex": sex},
                as_=staff,
            )
        )
    await _ok(
        await indicators_api.post(
            f"/enterprises/{enterprise_id}/eit/meetings",
            json={"held_on": "2019-03-15", "attendees_female": 2, "attendees_male": 2},
            as_=staff,
        )
    )
    project = await _ok(
        await indicators_api.post(
            f"/enterprises/{enterprise_id}/improvement-projects",
            json={
                "module_code": "workplace_cooperation",
                "title": "5S in the warehouse",
                "category": "five_s",
            },
            as_=staff,
        )
    )
    await _ok(
        await indicators_api.patch(
            f"/improvement-projects/{project['id']}",
            json={"status": "in_progress"},
            as_=staff,
        )
    )
    rating = await _ok(
        await indicators_api.post(
            "/satisfaction-responses",
            json={
                "enterprise_id": str(enterprise_id),
                "cohort_id": cohort["id"],
                "participant_id": participants[0]["id"],
                "module_code": "workplace_cooperation",
                "role": "manager",
                "sex": "female",
                "rating": 5,
                "would_recommend": True,
            },
            as_=staff,
        )
    )
    return Story(
        measured=measured,
        enterprise_id=enterprise_id,
        classmate_id=classmate_id,
        trainer_id=UUID(trainer["id"]),
        cohort_id=UUID(cohort["id"]),
        participant_ids=[UUID(p["id"]) for p in participants],
        indicator_id=UUID(indicator["id"]),
        indicator_code=code,
        baseline_id=UUID(baseline),
        endline_id=UUID(endline),
        baseline_value_id=UUID(base_id),
        endline_value_id=UUID(corrected["id"]),
        superseded_value_id=UUID(end_id),
        returned_value_id=UUID(returned_id),
        team_id=UUID(team["id"]),
        improvement_project_id=UUID(project["id"]),
        satisfaction_id=UUID(rating["id"]),
    )


@pytest.fixture
async def story(
    api: Api,
    indicators_api: Api,
    indicators_world: IndicatorsWorld,
    enrolment_session: AsyncSession,
    indicators_session: AsyncSession,
) -> Story:
    return await tell_story(
        api, indicators_api, indicators_world, enrolment_session, indicators_session
    )
