"""Enrolment test fixtures: the real app over ASGI, real tokens, and a small tenant world."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.app import create_app
from services.enrolment.settings import EnrolmentSettings
from shared.db import Database, request_session
from shared.enums import Role
from shared.identity import Principal, issue_token
from shared.settings import PlatformSettings

TEST_SECRET = "test-identity-secret-for-the-score-suite-0123456789"


def platform_settings() -> PlatformSettings:
    return PlatformSettings(environment="test", identity_secret=TEST_SECRET)  # type: ignore[arg-type]


def token_for(principal: Principal) -> str:
    return issue_token(principal, platform_settings())


def headers_for(principal: Principal) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(principal)}"}


ILO = Principal(subject="ilo-analyst", role=Role.ilo_global)


class Api:
    """An httpx client that calls the app as one principal at a time."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def request(
        self, method: str, url: str, *, as_: Principal = ILO, **kwargs: Any
    ) -> httpx.Response:
        return await self.client.request(method, url, headers=headers_for(as_), **kwargs)

    async def get(self, url: str, *, as_: Principal = ILO, **kwargs: Any) -> httpx.Response:
        return await self.request("GET", url, as_=as_, **kwargs)

    async def post(self, url: str, *, as_: Principal = ILO, **kwargs: Any) -> httpx.Response:
        return await self.request("POST", url, as_=as_, **kwargs)

    async def patch(self, url: str, *, as_: Principal = ILO, **kwargs: Any) -> httpx.Response:
        return await self.request("PATCH", url, as_=as_, **kwargs)

    async def put(self, url: str, *, as_: Principal = ILO, **kwargs: Any) -> httpx.Response:
        return await self.request("PUT", url, as_=as_, **kwargs)

    async def delete(self, url: str, *, as_: Principal = ILO, **kwargs: Any) -> httpx.Response:
        return await self.request("DELETE", url, as_=as_, **kwargs)

    async def created(self, url: str, body: dict[str, Any], *, as_: Principal = ILO) -> Any:
        """POST that must succeed; returns the JSON body."""
        response = await self.post(url, json=body, as_=as_)
        assert response.status_code in (200, 201), response.text
        return response.json()


@pytest.fixture
async def api(
    enrolment_session: AsyncSession, enrolment_database: Database
) -> AsyncIterator[Api]:
    settings = EnrolmentSettings(platform=platform_settings())
    app = create_app(settings, database=enrolment_database)

    async def test_session() -> AsyncIterator[AsyncSession]:
        try:
            yield enrolment_session
            await enrolment_session.commit()
        except BaseException:
            await enrolment_session.rollback()
            raise

    app.dependency_overrides[request_session] = test_session
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://enrolment.test") as client:
        yield Api(client)


def unique(name: str) -> str:
    """Organisation names are unique; tests share one database, so suffix them."""
    return f"{name} {uuid4().hex[:8]}"


@dataclass
class World:
    """Two partners in two countries, two buyers, a project each, staff principals."""

    efp_id: UUID
    mdpi_id: UUID
    inditex_id: UUID
    adidas_id: UUID
    pakistan_project_id: UUID
    ghana_project_id: UUID
    efp_staff: Principal
    mdpi_staff: Principal
    pakistan_manager: Principal
    ghana_manager: Principal
    inditex: Principal
    adidas: Principal


@pytest.fixture
async def world(api: Api) -> World:
    async def org(name: str, kind: str, country: str | None = None) -> UUID:
        body = {"name": unique(name), "kind": kind, "country": country}
        return UUID((await api.created("/organisations", body))["id"])

    efp = await org("Employers' Federation of Pakistan", "implementation_partner", "PK")
    mdpi = await org("Management Development and Productivity Institute", "implementation_partner", "GH")
    inditex = await org("Inditex", "lead_buyer", "ES")
    adidas = await org("Adidas", "lead_buyer", "DE")
    seco = await org("SECO", "funder", "CH")
    pakistan = await api.created(
        "/projects",
        {"name": "ILES Pakistan", "country": "PK", "partner_ids": [str(efp)], "funder_ids": [str(seco)]},
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


def garment_factory(**overrides: Any) -> dict[str, Any]:
    """A Karachi garment factory that meets every 2018 Pakistan profile criterion."""
    body: dict[str, Any] = {
        "name": unique("Karachi Knitwear"),
        "country": "PK",
        "city": "Karachi",
        "sector": "textile",
        "sub_sector": "ready_made_garments",
        "workforce_total": 450,
        "workforce_permanent": 300,
        "workforce_female": 200,
        "workforce_male": 250,
        "has_hr_officer": True,
        "has_compliance_officer": True,
        "has_industrial_engineer": True,
    }
    body.update(overrides)
    return body


async def register(api: Api, as_: Principal, **overrides: Any) -> dict[str, Any]:
    result: dict[str, Any] = await api.created("/enterprises", garment_factory(**overrides), as_=as_)
    return result
