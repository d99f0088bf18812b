"""Enrolment fixtures (a pytest plugin, so other services' tests can use them too): the real
enrolment app over ASGI and a small tenant world."""

from collections.abc import AsyncIterator
from uuid import UUID

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.app import create_app
from services.enrolment.settings import EnrolmentSettings
from shared.db import Database
from shared.enums import Role
from shared.identity import Principal
from tests.conftest import asgi_api
from tests.enrolment.support import Api, World, platform_settings, unique


@pytest.fixture
async def api(enrolment_session: AsyncSession, enrolment_database: Database) -> AsyncIterator[Api]:
    settings = EnrolmentSettings(platform=platform_settings())
    app = create_app(settings, database=enrolment_database)
    async with asgi_api(app, enrolment_session, "http://enrolment.test") as client:
        yield client


@pytest.fixture
async def world(api: Api) -> World:
    async def org(name: str, kind: str, country: str | None = None) -> UUID:
        body = {"name": unique(name), "kind": kind, "country": country}
        return UUID((await api.created("/organisations", body))["id"])

    efp = await org("Employers' Federation of Pakistan", "implementation_partner", "PK")
    mdpi = await org(
        "Management Development and Productivity Institute", "implementation_partner", "GH"
    )
    inditex = await org("Inditex", "lead_buyer", "ES")
    adidas = await org("Adidas", "lead_buyer", "DE")
    seco = await org("SECO", "funder", "CH")
    pakistan = await api.created(
        "/projects",
        {
            "name": "ILES Pakistan",
            "country": "PK",
            "partner_ids": [str(efp)],
            "funder_ids": [str(seco)],
        },
    )
    ghana = await api.created(
        "/projects", {"name": "SCORE Ghana", "country": "GH", "partner_ids": [str(mdpi)]}
    )
    return World(
        efp_id=efp,
        mdpi_id=mdpi,
        inditex_id=inditex,
        adidas_id=adidas,
        pakistan_project_id=UUID(pakistan["id"]),
        ghana_project_id=UUID(ghana["id"]),
        efp_staff=Principal(subject="efp-officer", role=Role.partner_staff, organisation_id=efp),
        mdpi_staff=Principal(subject="mdpi-officer", role=Role.partner_staff, organisation_id=mdpi),
        pakistan_manager=Principal(
            subject="pk-manager", role=Role.programme_manager, project_id=UUID(pakistan["id"])
        ),
        ghana_manager=Principal(
            subject="gh-manager", role=Role.programme_manager, project_id=UUID(ghana["id"])
        ),
        inditex=Principal(subject="inditex-portal", role=Role.lead_buyer, organisation_id=inditex),
        adidas=Principal(subject="adidas-portal", role=Role.lead_buyer, organisation_id=adidas),
    )
