"""Enrolment fixtures (a pytest plugin, so other services' tests can use them too): the real
enrolment app over ASGI and a small tenant world."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from uuid import UUID

import pytest
from fastapi import FastAPI
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.app import create_app
from services.enrolment.organisations.schemas import OrganisationCreate, ProjectCreate
from services.enrolment.organisations.service import organisation_service, project_service
from services.enrolment.settings import EnrolmentSettings
from shared.db import Database
from shared.enums import OrganisationKind, Role
from shared.identity import Principal
from tests.conftest import APPS, asgi_api
from tests.enrolment.support import ILO, Api, World, platform_settings, unique


@asynccontextmanager
async def enrolment_api(session: AsyncSession, database: Database) -> AsyncIterator[Api]:
    """The enrolment app over ASGI, its requests in ``session``."""

    def build() -> FastAPI:
        return create_app(EnrolmentSettings(platform=platform_settings()), database=database)

    with APPS.lend(("enrolment", database), build) as app:
        async with asgi_api(app, session, "http://enrolment.test") as client:
            yield client


@pytest.fixture
async def api(enrolment_session: AsyncSession, enrolment_database: Database) -> AsyncIterator[Api]:
    async with enrolment_api(enrolment_session, enrolment_database) as client:
        yield client


@pytest.fixture
async def world(api: Api, enrolment_session: AsyncSession) -> World:
    """Written through the organisation and project services the ILO's API calls (the same
    rows, events and audit entries), without an HTTP round trip each: hundreds of tests
    stand on this world and none is about registering it (the tenancy matrix and
    tests/shared/test_idempotency.py take those routes through the API)."""
    del api  # the world is the one the test's enrolment app serves
    return await build_world(enrolment_session)


async def build_world(enrolment_session: AsyncSession) -> World:
    """The ``world`` fixture's tenants, written in ``enrolment_session``."""

    async def org(name: str, kind: OrganisationKind, country: str | None = None) -> UUID:
        body = OrganisationCreate(name=unique(name), kind=kind, country=country)
        return (await organisation_service.create(enrolment_session, body, principal=ILO)).id

    partner, buyer = OrganisationKind.implementation_partner, OrganisationKind.lead_buyer
    efp = await org("Employers' Federation of Pakistan", partner, "PK")
    mdpi = await org("Management Development and Productivity Institute", partner, "GH")
    inditex = await org("Inditex", buyer, "ES")
    adidas = await org("Adidas", buyer, "DE")
    seco = await org("SECO", OrganisationKind.funder, "CH")
    pakistan = await project_service.create(
        enrolment_session,
        ProjectCreate(name="ILES Pakistan", country="PK", partner_ids=[efp], funder_ids=[seco]),
        principal=ILO,
    )
    ghana = await project_service.create(
        enrolment_session,
        ProjectCreate(name="SCORE Ghana", country="GH", partner_ids=[mdpi]),
        principal=ILO,
    )
    await enrolment_session.commit()
    return World(
        efp_id=efp,
        mdpi_id=mdpi,
        inditex_id=inditex,
        adidas_id=adidas,
        pakistan_project_id=pakistan.id,
        ghana_project_id=ghana.id,
        efp_staff=Principal(subject="efp-officer", role=Role.partner_staff, organisation_id=efp),
        mdpi_staff=Principal(subject="mdpi-officer", role=Role.partner_staff, organisation_id=mdpi),
        pakistan_manager=Principal(
            subject="pk-manager", role=Role.programme_manager, project_id=pakistan.id
        ),
        ghana_manager=Principal(
            subject="gh-manager", role=Role.programme_manager, project_id=ghana.id
        ),
        inditex=Principal(subject="inditex-portal", role=Role.lead_buyer, organisation_id=inditex),
        adidas=Principal(subject="adidas-portal", role=Role.lead_buyer, organisation_id=adidas),
    )
