"""Helpers for enrolment tests: real signed tokens, an API client per principal, factories."""

from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

import httpx

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
        headers = {**headers_for(as_), **kwargs.pop("headers", {})}
        return await self.client.request(method, url, headers=headers, **kwargs)

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
    result: dict[str, Any] = await api.created(
        "/enterprises", garment_factory(**overrides), as_=as_
    )
    return result
