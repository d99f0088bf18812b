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
    forged = jwt.encode(claims, key="", algorithm="none")
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


OLD_SECRET = SecretStr("the-secret-before-the-rotation-of-enough-length-02")


def rotated(*previous: SecretStr) -> PlatformSettings:
    return PlatformSettings(
        environment=Environment.test,
        identity_secret=SECRET,
        identity_previous_secrets=list(previous),
    )


def before_rotation() -> PlatformSettings:
    return PlatformSettings(environment=Environment.test, identity_secret=OLD_SECRET)


def test_token_names_its_signing_key_in_the_kid_header() -> None:
    header = jwt.get_unverified_header(issue_token(partner(), settings()))
    assert header["kid"] == settings().identity_key_id
    assert header["kid"] != before_rotation().identity_key_id
    assert SECRET.get_secret_value() not in header["kid"]


def test_token_signed_before_a_rotation_verifies_while_its_secret_is_listed() -> None:
    principal = partner()
    token = issue_token(principal, before_rotation())
    assert verify_token(token, rotated(OLD_SECRET)) == principal


def test_token_signed_before_a_rotation_is_refused_once_its_secret_is_dropped() -> None:
    token = issue_token(partner(), before_rotation())
    with pytest.raises(Unauthenticated, match="key that is not accepted"):
        verify_token(token, rotated())


def test_previous_secrets_verify_but_never_sign() -> None:
    token = issue_token(partner(), rotated(OLD_SECRET))
    assert jwt.get_unverified_header(token)["kid"] == settings().identity_key_id
    with pytest.raises(Unauthenticated):
        verify_token(token, before_rotation())


def test_token_with_a_forged_kid_is_refused() -> None:
    claims = jwt.decode(issue_token(partner(), settings()), options={"verify_signature": False})
    forged = jwt.encode(
        claims, "an-attacker-secret-of-plenty-of-length-00", algorithm="HS256",
        headers={"kid": settings().identity_key_id},
    )  # fmt: skip
    with pytest.raises(Unauthenticated, match="not valid"):
        verify_token(forged, rotated(OLD_SECRET))


def test_token_without_a_kid_is_checked_against_every_accepted_secret() -> None:
    principal = partner()
    claims = jwt.decode(
        issue_token(principal, before_rotation()), options={"verify_signature": False}
    )
    legacy = jwt.encode(claims, OLD_SECRET.get_secret_value(), algorithm="HS256")
    assert "kid" not in jwt.get_unverified_header(legacy)
    assert verify_token(legacy, rotated(OLD_SECRET)) == principal
    with pytest.raises(Unauthenticated):
        verify_token(legacy, rotated())


@pytest.mark.parametrize(
    "raw",
    [
        "the-secret-before-the-rotation-of-enough-length-02, another-old-secret-long-enough-000003",
        '["the-secret-before-the-rotation-of-enough-length-02", '
        '"another-old-secret-long-enough-000003"]',
    ],
)
def test_previous_secrets_read_from_the_environment_as_a_list_or_comma_separated(
    raw: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCORE_ENVIRONMENT", "test")
    monkeypatch.setenv("SCORE_IDENTITY_SECRET", SECRET.get_secret_value())
    monkeypatch.setenv("SCORE_IDENTITY_PREVIOUS_SECRETS", raw)
    loaded = PlatformSettings()
    assert [s.get_secret_value() for s in loaded.identity_previous_secrets] == [
        OLD_SECRET.get_secret_value(),
        "another-old-secret-long-enough-000003",
    ]
    old_token = issue_token(partner(), before_rotation())
    assert verify_token(old_token, loaded).role is Role.partner_staff


def test_short_previous_secret_is_refused() -> None:
    with pytest.raises(ValidationError, match="PREVIOUS_SECRETS"):
        rotated(SecretStr("short"))


def test_development_secret_is_refused_as_a_previous_secret_outside_development() -> None:
    with pytest.raises(ValidationError, match="development secret"):
        rotated(SecretStr(DEVELOPMENT_IDENTITY_SECRET))
