"""Helpers for enrolment tests: real signed tokens, an API client per principal, factories."""

import json
from dataclasses import dataclass
from functools import cache
from typing import Any
from uuid import UUID, uuid4

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.enums import Role
from shared.feeds import sign_feed_token
from shared.identity import Principal, issue_token
from shared.keys import SigningKey, jwks_document, private_key_pem
from shared.settings import FEED_READERS, PlatformSettings

# The suite's keys, made once per run: the gateway's identity key and each feed reader's.
# Services are configured with their public halves only, as in production.
IDENTITY_KEY = SigningKey.of(Ed25519PrivateKey.generate())
FEED_KEYS = {reader: SigningKey.of(Ed25519PrivateKey.generate()) for reader in FEED_READERS}
IDENTITY_KEY_PEM = private_key_pem(IDENTITY_KEY.private)
FEED_KEY_PEMS = {reader: private_key_pem(key.private) for reader, key in FEED_KEYS.items()}
IDENTITY_JWKS = json.dumps(jwks_document([IDENTITY_KEY.public]))
FEED_READERS_JWKS = json.dumps(jwks_document(key.public for key in FEED_KEYS.values()))


# What a process of the suite (test environment) is started with: every key configured.
KEY_ENVIRONMENT = {
    "SCORE_ENVIRONMENT": "test",
    "SCORE_IDENTITY_JWKS": IDENTITY_JWKS,
    "SCORE_FEED_READERS_JWKS": FEED_READERS_JWKS,
    "SCORE_GATEWAY_IDENTITY_KEY": IDENTITY_KEY_PEM,
    **{f"SCORE_{reader.upper()}_FEED_KEY": pem for reader, pem in FEED_KEY_PEMS.items()},
}


def platform_settings(**overrides: Any) -> PlatformSettings:
    values = {
        "environment": "test",
        "identity_jwks": IDENTITY_JWKS,
        "feed_readers_jwks": FEED_READERS_JWKS,
    }
    return PlatformSettings.model_validate(values | overrides)


@cache
def token_settings() -> PlatformSettings:
    """The settings tokens are minted and checked with, read once: reading them from the
    environment cost more than signing, and every request of the suite carries a token."""
    return platform_settings()


def token_for(principal: Principal, *, graph: bool = False) -> str:
    """A token as the gateway mints it: for REST, or (``graph``) for a subgraph's /graphql."""
    settings = token_settings()
    audience = settings.identity_graph_audience if graph else settings.identity_audience
    return issue_token(principal, IDENTITY_KEY, settings, audience=audience)


def forwarded_claims(token: str, *, graph: bool = False) -> dict[str, Any]:
    """The claims of a token the gateway forwarded, checked with its public key."""
    settings = token_settings()
    audience = settings.identity_graph_audience if graph else settings.identity_audience
    claims: dict[str, Any] = jwt.decode(
        token, IDENTITY_KEY.public, algorithms=["EdDSA"], audience=audience
    )
    return claims


def feed_token_for(reader: str, producer: str) -> str:
    """What the ``reader`` service signs to read ``producer``'s event feed."""
    return sign_feed_token(FEED_KEYS[reader], reader=reader, producer=producer)


def feed_headers(reader: str, producer: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {feed_token_for(reader, producer)}"}


def headers_for(principal: Principal, *, graph: bool = False) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(principal, graph=graph)}"}


ILO = Principal(subject="ilo-analyst", role=Role.ilo_global)


class Api:
    """An httpx client that calls the app as one principal at a time."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def request(
        self, method: str, url: str, *, as_: Principal = ILO, **kwargs: Any
    ) -> httpx.Response:
        # A subgraph is called the way the gateway calls it, with a graph-audience token.
        graph = url.split("?", 1)[0] == "/graphql"
        headers = {**headers_for(as_, graph=graph), **kwargs.pop("headers", {})}
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


async def graph_data(
    api: Api,
    query: str,
    *,
    as_: Principal = ILO,
    headers: dict[str, str] | None = None,
    **variables: Any,
) -> Any:
    """A subgraph's ``data`` for one operation, which must run without errors."""
    response = await api.post(
        "/graphql", json={"query": query, "variables": variables}, as_=as_, headers=headers or {}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body["errors"]
    return body["data"]


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
