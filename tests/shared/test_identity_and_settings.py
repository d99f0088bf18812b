"""Identity tokens and settings guards, which every service relies on."""

import time
from uuid import uuid4

import jwt
import pytest
from pydantic import SecretStr, ValidationError

from shared.enums import Role
from shared.identity import Principal, issue_token, verify_token
from shared.problems import Unauthenticated
from shared.settings import DEVELOPMENT_IDENTITY_SECRET, Environment, PlatformSettings

SECRET = SecretStr("a-real-secret-of-sufficient-length-for-tests-0001")


def settings(audience: str = "score-services") -> PlatformSettings:
    return PlatformSettings(
        environment=Environment.test, identity_secret=SECRET, identity_audience=audience
    )


def partner() -> Principal:
    return Principal(subject="efp", role=Role.partner_staff, organisation_id=uuid4())


def test_token_round_trip_keeps_role_and_tenant() -> None:
    principal = partner()
    assert verify_token(issue_token(principal, settings()), settings()) == principal


def test_expired_token_is_refused() -> None:
    token = issue_token(partner(), settings(), ttl_seconds=-1)
    with pytest.raises(Unauthenticated, match="expired"):
        verify_token(token, settings())


def test_token_signed_with_another_secret_is_refused() -> None:
    other = PlatformSettings(environment=Environment.test, identity_secret=SecretStr("x" * 40))
    with pytest.raises(Unauthenticated):
        verify_token(issue_token(partner(), other), settings())


def test_unsigned_token_is_refused() -> None:
    claims = {
        "sub": "attacker", "role": "ilo_global", "iss": "score-gateway",
        "aud": "score-services", "iat": int(time.time()), "exp": int(time.time()) + 60,
    }  # fmt: skip
    forged = jwt.encode(claims, key=None, algorithm="none")
    with pytest.raises(Unauthenticated):
        verify_token(forged, settings())


def test_token_for_another_audience_is_refused() -> None:
    token = issue_token(partner(), settings(audience="someone-else"))
    with pytest.raises(Unauthenticated):
        verify_token(token, settings())


def test_role_without_its_tenant_anchor_is_refused() -> None:
    with pytest.raises(ValidationError, match="requires organisation_id"):
        Principal(subject="x", role=Role.partner_staff)


def test_development_secret_is_refused_outside_development() -> None:
    with pytest.raises(ValidationError, match="SCORE_IDENTITY_SECRET"):
        PlatformSettings(
            environment=Environment.production,
            identity_secret=SecretStr(DEVELOPMENT_IDENTITY_SECRET),
        )
    PlatformSettings(environment=Environment.development)  # the default secret is fine here


def test_embedded_database_is_refused_in_production() -> None:
    from services.enrolment.settings import EnrolmentSettings

    production = PlatformSettings(environment=Environment.production, identity_secret=SECRET)
    with pytest.raises(ValidationError, match="SCORE_ENROLMENT_DATABASE_URL is required"):
        EnrolmentSettings(platform=production)
