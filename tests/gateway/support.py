"""Helpers for gateway tests: an HTTP client that reaches the real service apps by host name,
a record of what the services received, API keys made through the key service."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
from sqlmodel.ext.asyncio.session import AsyncSession

from services.gateway.keys.models import ApiKey
from services.gateway.keys.repository import api_key_repository
from services.gateway.keys.schemas import ApiKeyCreate
from services.gateway.keys.service import api_key_service, key_prefix
from services.gateway.settings import GatewaySettings
from shared.enums import Role
from shared.identity import Principal
from tests.enrolment.support import IDENTITY_KEY_PEM, platform_settings

TEST_PEPPER = "test-api-key-pepper-for-the-score-suite-0123456789"
OPERATOR = Principal(subject="gateway-tests", role=Role.service)

ENROLMENT = "http://enrolment.test"
INDICATORS = "http://indicators.test"
REPORTING = "http://reporting.test"


def gateway_settings(**overrides: Any) -> GatewaySettings:
    values: dict[str, Any] = {
        "platform": platform_settings(),
        "identity_key": IDENTITY_KEY_PEM,
        "services": {
            "enrolment": ENROLMENT,
            "indicators": INDICATORS,
            "reporting": REPORTING,
        },
        "api_key_pepper": TEST_PEPPER,
        # Revocation must show on the next request in tests; the cache has its own test.
        "api_key_cache_ttl": 0,
        "rate_limit_per_second": 1000,
        "rate_limit_burst": 1000,
        "configure_logging": False,
    }
    return GatewaySettings.model_validate(values | overrides)


@dataclass
class Received:
    """What a service got from the gateway."""

    method: str
    url: httpx.URL
    headers: httpx.Headers


@dataclass
class Upstreams(httpx.AsyncBaseTransport):
    """Routes the gateway's outgoing requests by host to the real apps' ASGI clients and
    records each request as the service received it. An unknown host is unreachable."""

    clients: Mapping[str, httpx.AsyncClient]
    received: list[Received] = field(default_factory=list)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        client = self.clients.get(request.url.host)
        if client is None:
            raise httpx.ConnectError(f"no route to {request.url.host}", request=request)
        self.received.append(Received(request.method, request.url, request.headers))
        response = await client.send(request)
        # A stream, as a real connection gives: the gateway relays it chunk by chunk.
        return httpx.Response(
            status_code=response.status_code,
            headers=response.headers,
            stream=httpx.ByteStream(response.content),
        )

    def last(self, host: str, *, graphql: bool = False) -> Received:
        """The latest request to ``host``: a REST one, or (``graphql``) one to /graphql.

        The gateway composes its graph in the background, so /graphql requests of its own
        may arrive at any time; REST requests are only ever the test's.
        """
        return next(
            r
            for r in reversed(self.received)
            if r.url.host == host and (r.url.path == "/graphql") == graphql
        )

    def count(self, host: str, path: str) -> int:
        return sum(1 for r in self.received if r.url.host == host and r.url.path == path)


async def make_key(
    session: AsyncSession,
    *,
    role: Role = Role.ilo_global,
    expires_at: datetime | None = None,
    scopes: list[str] | None = None,
    **anchors: Any,
) -> str:
    """A committed API key's secret, made as ``score keys create`` makes it."""
    fields: dict[str, Any] = {"role": role, "expires_at": expires_at, **anchors}
    if scopes is not None:
        fields["scopes"] = scopes
    created = await api_key_service.create(
        session,
        ApiKeyCreate.model_validate(fields),
        principal=OPERATOR,
        pepper=gateway_settings().api_key_pepper,
    )
    await session.commit()
    return created.secret


def key_headers(secret: str, **extra: str) -> dict[str, str]:
    return {"X-API-Key": secret, **extra}


def bearer(credential: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {credential}"}


async def key_row(session: AsyncSession, secret: str) -> ApiKey:
    prefix = key_prefix(secret)
    assert prefix is not None
    row = await api_key_repository.get_by_prefix(session, prefix)
    assert row is not None
    return row
