"""In-process tests serve a service app over the test's rolled-back transaction
(tests/conftest.py ``SessionDatabase``, no dependency override): a keyed write, which the
idempotency middleware commits itself, stays in that transaction like any other."""

from uuid import uuid4

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.app import create_app
from services.enrolment.organisations.models import Project
from services.enrolment.settings import EnrolmentSettings
from shared.db import Database
from tests.conftest import asgi_api
from tests.enrolment.support import Api, World, platform_settings


async def projects_named(on: AsyncSession | AsyncConnection, name: str) -> int:
    query = text(f"SELECT count(*) FROM {Project.__tablename__} WHERE name = :name")
    return int(await on.scalar(query, {"name": name}) or 0)


async def records_of(on: AsyncSession | AsyncConnection, key: str) -> int:
    query = text("SELECT count(*) FROM idempotency_record WHERE key = :key")
    return int(await on.scalar(query, {"key": key}) or 0)


async def test_a_keyed_write_and_its_replay_stay_in_the_tests_transaction(
    api: Api, enrolment_session: AsyncSession, enrolment_engine: AsyncEngine
) -> None:
    # No world: what the test's transaction wrote first would hold the outbox's lock, and a
    # write committing for real on a connection of its own would wait for it forever.
    name, key = f"ILES Punjab {uuid4().hex[:6]}", f"project-{uuid4()}"
    body, headers = {"name": name, "country": "PK"}, {"Idempotency-Key": key}

    first = await api.post("/projects", json=body, headers=headers)
    retry = await api.post("/projects", json=body, headers=headers)

    assert first.status_code == 201, first.text
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json() == first.json()
    # The test sees the write and its record...
    assert await projects_named(enrolment_session, name) == 1
    assert await records_of(enrolment_session, key) == 1
    # ...and nobody else does: nothing was committed for real.
    async with enrolment_engine.connect() as elsewhere:
        assert await projects_named(elsewhere, name) == 0
        assert await records_of(elsewhere, key) == 0


async def test_a_refused_keyed_write_is_rolled_back_and_the_test_goes_on(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    name, key = f"ILES Sindh {uuid4().hex[:6]}", f"project-{uuid4()}"
    headers = {"Idempotency-Key": key}
    first = await api.post("/projects", json={"name": name, "country": "PK"}, headers=headers)
    assert first.status_code == 201, first.text

    reused = await api.post(
        "/projects", json={"name": f"{name} bis", "country": "PK"}, headers=headers
    )

    assert reused.status_code == 409, reused.text
    assert await projects_named(enrolment_session, f"{name} bis") == 0
    assert await projects_named(enrolment_session, name) == 1
    assert (await api.get(f"/projects/{first.json()['id']}")).status_code == 200


async def test_an_app_is_served_without_overrides_and_gets_its_database_back(
    enrolment_session: AsyncSession, enrolment_database: Database
) -> None:
    app = create_app(EnrolmentSettings(platform=platform_settings()), database=enrolment_database)

    async with asgi_api(app, enrolment_session, "http://enrolment.test") as api:
        assert app.dependency_overrides == {}
        # The readiness probe takes a session of the app's database's own: the test's.
        assert (await api.get("/readyz")).status_code == 200

    assert app.state.database is enrolment_database
