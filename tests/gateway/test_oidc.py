"""Bearer JWTs from the OpenID Connect issuer. The identity provider is outside the platform,
so a tiny one runs here: an RSA key pair, a discovery document and a JWKS."""

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from uuid import uuid4

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import OKPAlgorithm, RSAAlgorithm
from sqlmodel.ext.asyncio.session import AsyncSession

from tests.enrolment.support import IDENTITY_KEY, Api, World, forwarded_claims, register, token_for
from tests.gateway.conftest import Gateway, running_gateway
from tests.gateway.support import bearer, gateway_settings

ISSUER = "https://idp.test"
AUDIENCE = "score-api"


@dataclass
class IdentityProvider:
    """Signs tokens and publishes its current public keys."""

    keys: dict[str, rsa.RSAPrivateKey] = field(default_factory=dict)
    jwks_fetches: int = 0

    def rotate(self) -> str:
        kid = uuid4().hex[:8]
        self.keys[kid] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return kid

    def retire(self, kid: str) -> None:
        del self.keys[kid]

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/.well-known/openid-configuration":
            return httpx.Response(200, json={"issuer": ISSUER, "jwks_uri": f"{ISSUER}/jwks"})
        if request.url.path == "/jwks":
            self.jwks_fetches += 1
            jwks = []
            for kid, key in self.keys.items():
                jwk = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
                jwks.append({**jwk, "kid": kid, "use": "sig", "alg": "RS256"})
            return httpx.Response(200, json={"keys": jwks})
        return httpx.Response(404)

    def token(
        self,
        kid: str | None = None,
        *,
        lifetime: int = 300,
        algorithm: str = "RS256",
        headers: dict[str, Any] | None = None,
        **claims: Any,
    ) -> str:
        kid = kid or next(iter(self.keys))
        now = int(time.time())
        body = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": "amina@efp.example",
            "iat": now,
            "exp": now + lifetime,
            "score_role": "ilo_global",
        } | claims
        return jwt.encode(
            {k: v for k, v in body.items() if v is not None},
            self.keys[kid],
            algorithm=algorithm,
            headers={"kid": kid, **(headers or {})},
        )


@pytest.fixture
def idp() -> IdentityProvider:
    provider = IdentityProvider()
    provider.rotate()
    return provider


@pytest.fixture
async def oidc_gateway(
    gateway_session: AsyncSession,
    upstream_clients: dict[str, httpx.AsyncClient],
    idp: IdentityProvider,
) -> AsyncIterator[Gateway]:
    settings = gateway_settings(
        oidc_issuer=ISSUER,
        oidc_audience=AUDIENCE,
        oidc_jwks_min_refresh_interval=0,
    )
    extra = {"idp.test": httpx.MockTransport(idp.handle)}
    async with running_gateway(settings, gateway_session, upstream_clients, extra) as running:
        yield running


async def test_token_from_the_issuer_reads_as_its_mapped_partner(
    oidc_gateway: Gateway, idp: IdentityProvider, api: Api, world: World
) -> None:
    own = await register(api, world.efp_staff)
    other = await register(api, world.mdpi_staff)
    token = idp.token(score_role="partner_staff", score_organisation_id=str(world.efp_id))

    response = await oidc_gateway.client.get(
        "/enrolment/enterprises", params={"limit": 500}, headers=bearer(token)
    )

    assert response.status_code == 200, response.text
    ids = {item["id"] for item in response.json()["items"]}
    assert own["id"] in ids
    assert other["id"] not in ids
    forwarded = oidc_gateway.upstreams.last("enrolment.test")
    principal = forwarded_claims(forwarded.headers["authorization"].removeprefix("Bearer "))
    assert principal["sub"] == "oidc:amina@efp.example"
    assert principal["role"] == "partner_staff"
    assert principal["org"] == str(world.efp_id)
    # Short-lived: the forwarded token lives a minute, not the caller's five.
    assert principal["exp"] - principal["iat"] == 60


async def test_keys_are_fetched_once_and_then_cached(
    oidc_gateway: Gateway, idp: IdentityProvider
) -> None:
    for _ in range(3):
        response = await oidc_gateway.client.get(
            "/enrolment/organisations", headers=bearer(idp.token())
        )
        assert response.status_code == 200, response.text
    assert idp.jwks_fetches == 1


async def test_token_for_another_audience_is_refused(
    oidc_gateway: Gateway, idp: IdentityProvider
) -> None:
    token = idp.token(aud="some-other-application")
    response = await oidc_gateway.client.get("/enrolment/organisations", headers=bearer(token))
    assert response.status_code == 401
    assert response.json()["detail"] == "The bearer token is not meant for the SCORE platform"


async def test_token_from_another_issuer_is_refused(
    oidc_gateway: Gateway, idp: IdentityProvider
) -> None:
    token = idp.token(iss="https://elsewhere.example")
    response = await oidc_gateway.client.get("/enrolment/organisations", headers=bearer(token))
    assert response.status_code == 401


async def test_expired_token_is_refused(oidc_gateway: Gateway, idp: IdentityProvider) -> None:
    # Beyond the 30 s of clock skew tolerated.
    token = idp.token(lifetime=-120)
    response = await oidc_gateway.client.get("/enrolment/organisations", headers=bearer(token))
    assert response.status_code == 401
    assert response.json()["detail"] == "The bearer token has expired"


async def test_token_signed_with_hs256_is_refused_even_keyed_with_the_platform_public_keys(
    oidc_gateway: Gateway, idp: IdentityProvider
) -> None:
    now = int(time.time())
    claims = {
        "iss": ISSUER, "aud": AUDIENCE, "sub": "mallory", "iat": now, "exp": now + 60,
        "score_role": "ilo_global",
    }  # fmt: skip
    # The platform's public identity key, used as an HMAC secret: algorithm confusion.
    public_x = OKPAlgorithm.to_jwk(IDENTITY_KEY.public, as_dict=True)["x"]
    for secret in (public_x, "any-shared-secret-the-attacker-chose-000"):
        forged = jwt.encode(claims, secret, algorithm="HS256")
        response = await oidc_gateway.client.get("/enrolment/organisations", headers=bearer(forged))
        assert response.status_code == 401
        assert "algorithm 'HS256' is not accepted" in response.json()["detail"]


async def test_unsigned_token_is_refused(oidc_gateway: Gateway, idp: IdentityProvider) -> None:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "mallory", "iat": now, "exp": now + 60}
    forged = jwt.encode(claims | {"score_role": "ilo_global"}, "", algorithm="none")
    response = await oidc_gateway.client.get("/enrolment/organisations", headers=bearer(forged))
    assert response.status_code == 401
    assert "algorithm 'none' is not accepted" in response.json()["detail"]


async def test_token_signed_by_a_key_the_issuer_does_not_list_is_refused(
    oidc_gateway: Gateway, idp: IdentityProvider
) -> None:
    assert (
        await oidc_gateway.client.get("/enrolment/organisations", headers=bearer(idp.token()))
    ).status_code == 200
    impostor = IdentityProvider()
    kid = impostor.rotate()
    token = impostor.token(kid)

    response = await oidc_gateway.client.get("/enrolment/organisations", headers=bearer(token))

    assert response.status_code == 401
    assert "key the issuer does not list" in response.json()["detail"]
    # The unknown kid made the gateway look once more, and only once.
    assert idp.jwks_fetches == 2


async def test_a_key_the_issuer_rotated_in_is_found_by_refreshing_the_jwks(
    oidc_gateway: Gateway, idp: IdentityProvider
) -> None:
    old = next(iter(idp.keys))
    assert (
        await oidc_gateway.client.get("/enrolment/organisations", headers=bearer(idp.token(old)))
    ).status_code == 200
    new = idp.rotate()
    idp.retire(old)

    response = await oidc_gateway.client.get(
        "/enrolment/organisations", headers=bearer(idp.token(new))
    )

    assert response.status_code == 200, response.text
    assert idp.jwks_fetches == 2


async def test_token_without_a_score_role_is_forbidden(
    oidc_gateway: Gateway, idp: IdentityProvider
) -> None:
    token = idp.token(score_role=None)
    response = await oidc_gateway.client.get("/enrolment/organisations", headers=bearer(token))
    assert response.status_code == 403
    assert "exactly one SCORE role" in response.json()["detail"]


async def test_token_claiming_the_service_role_is_forbidden(
    oidc_gateway: Gateway, idp: IdentityProvider
) -> None:
    token = idp.token(score_role="service")
    response = await oidc_gateway.client.get("/enrolment/organisations", headers=bearer(token))
    assert response.status_code == 403


async def test_partner_role_without_its_organisation_is_forbidden(
    oidc_gateway: Gateway, idp: IdentityProvider
) -> None:
    token = idp.token(score_role="partner_staff")
    response = await oidc_gateway.client.get("/enrolment/organisations", headers=bearer(token))
    assert response.status_code == 403
    assert "organisation_id" in response.json()["detail"]


async def test_bearer_tokens_are_refused_when_no_issuer_is_configured(
    gateway: Gateway, idp: IdentityProvider
) -> None:
    response = await gateway.client.get("/enrolment/organisations", headers=bearer(idp.token()))
    assert response.status_code == 401
    assert "no identity provider is configured" in response.json()["detail"]


async def test_platform_identity_token_is_not_a_credential_at_the_gateway(
    oidc_gateway: Gateway, world: World
) -> None:
    """The services' own tokens are for behind the gateway; a client holding one (say, a
    leaked one) gets nothing at the front door."""
    response = await oidc_gateway.client.get(
        "/enrolment/organisations", headers=bearer(token_for(world.efp_staff))
    )
    assert response.status_code == 401
