"""API keys at the gateway: a partner system's key reads its own tenant's data, and only a
live key (not revoked, not expired, known) gets anywhere."""

from datetime import timedelta

import pytest

from services.gateway.keys.service import api_key_service
from shared.columns import utcnow
from shared.enums import Role
from tests.enrolment.support import Api, World, register
from tests.gateway.conftest import Gateway
from tests.gateway.support import OPERATOR, bearer, key_headers, key_row, make_key


async def test_partner_key_reads_only_its_own_enterprises_through_the_gateway(
    gateway: Gateway, api: Api, world: World
) -> None:
    own = await register(api, world.efp_staff)
    other = await register(api, world.mdpi_staff)
    secret = await make_key(gateway.session, role=Role.partner_staff, organisation_id=world.efp_id)

    response = await gateway.client.get(
        "/enrolment/enterprises", params={"limit": 500}, headers=key_headers(secret)
    )

    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert own["id"] in {item["id"] for item in items}
    assert all(item["partner_id"] == str(world.efp_id) for item in items)
    hidden = await gateway.client.get(
        f"/enrolment/enterprises/{other['id']}", headers=key_headers(secret)
    )
    assert hidden.status_code == 404


async def test_key_is_accepted_as_a_bearer_credential(gateway: Gateway, world: World) -> None:
    secret = await make_key(gateway.session, role=Role.partner_staff, organisation_id=world.efp_id)
    response = await gateway.client.get(
        f"/enrolment/organisations/{world.efp_id}", headers=bearer(secret)
    )
    assert response.status_code == 200, response.text


async def test_revoked_key_is_refused(gateway: Gateway) -> None:
    secret = await make_key(gateway.session)
    before = await gateway.client.get("/enrolment/organisations", headers=key_headers(secret))
    assert before.status_code == 200
    await api_key_service.revoke(
        gateway.session, (await key_row(gateway.session, secret)).prefix, principal=OPERATOR
    )
    await gateway.session.commit()

    response = await gateway.client.get("/enrolment/organisations", headers=key_headers(secret))

    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "The API key has been revoked"
    assert response.headers["www-authenticate"] == "Bearer"


async def test_expired_key_is_refused(gateway: Gateway) -> None:
    secret = await make_key(gateway.session, expires_at=utcnow() + timedelta(minutes=5))
    assert (
        await gateway.client.get("/enrolment/organisations", headers=key_headers(secret))
    ).status_code == 200
    # Moved into the past directly: the key service refuses to create an expired key.
    row = await key_row(gateway.session, secret)
    row.expires_at = utcnow() - timedelta(seconds=1)
    await gateway.session.commit()

    response = await gateway.client.get("/enrolment/organisations", headers=key_headers(secret))

    assert response.status_code == 401
    assert response.json()["detail"] == "The API key has expired"


@pytest.mark.parametrize(
    "credential",
    [
        "score_0123456789ab_" + "x" * 43,  # well formed, never issued
        "score_nothex_secret",
        "score_",
        "not-a-key-at-all",
    ],
)
async def test_unknown_key_is_refused(gateway: Gateway, credential: str) -> None:
    response = await gateway.client.get("/enrolment/organisations", headers=key_headers(credential))
    assert response.status_code == 401
    assert response.json()["detail"] == "The API key is not valid"


async def test_key_with_a_right_prefix_and_a_wrong_secret_is_refused(gateway: Gateway) -> None:
    secret = await make_key(gateway.session)
    forged = secret[:-4] + ("AAAA" if not secret.endswith("AAAA") else "BBBB")
    response = await gateway.client.get("/enrolment/organisations", headers=key_headers(forged))
    assert response.status_code == 401
    assert response.json()["detail"] == "The API key is not valid"


async def test_request_without_credentials_is_refused(gateway: Gateway) -> None:
    response = await gateway.client.get("/enrolment/organisations")
    assert response.status_code == 401
    assert "API key" in response.json()["detail"]
