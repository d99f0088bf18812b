"""Identity tokens, feed tokens and the key settings every service relies on."""

import json
import os
import stat
import time
from pathlib import Path
from uuid import uuid4

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm
from pydantic import SecretStr, ValidationError

from services.enrolment.settings import EnrolmentSettings
from services.gateway.settings import GatewaySettings
from services.indicators.settings import IndicatorsSettings
from shared.enums import Role
from shared.feeds import sign_feed_token
from shared.identity import Principal, issue_token, verify_token
from shared.keys import SigningKey, development_key, jwks_document, key_id, private_key_pem
from shared.problems import Unauthenticated
from shared.settings import IDENTITY_KEY_NAME, Environment, PlatformSettings
from tests.enrolment.support import (
    FEED_KEYS,
    FEED_READERS_JWKS,
    IDENTITY_JWKS,
    IDENTITY_KEY,
    platform_settings,
)

OLD_KEY = SigningKey.of(Ed25519PrivateKey.generate())
NEW_KEY = SigningKey.of(Ed25519PrivateKey.generate())
TEST_PEPPER = "test-api-key-pepper-for-the-score-suite-0123456789"


def accepting(*keys: SigningKey) -> PlatformSettings:
    """Settings of a service that accepts tokens signed with ``keys``."""
    return platform_settings(identity_jwks=json.dumps(jwks_document(k.public for k in keys)))


def partner() -> Principal:
    return Principal(subject="efp", role=Role.partner_staff, organisation_id=uuid4())


def token(principal: Principal, key: SigningKey = IDENTITY_KEY, **options: object) -> str:
    return issue_token(principal, key, platform_settings(), **options)  # type: ignore[arg-type]


def test_token_round_trip_keeps_role_and_tenant() -> None:
    principal = partner()
    assert verify_token(token(principal), platform_settings()) == principal


def test_expired_token_is_refused() -> None:
    with pytest.raises(Unauthenticated, match="expired"):
        verify_token(token(partner(), ttl_seconds=-1), platform_settings())


def test_token_signed_with_a_key_the_services_do_not_list_is_refused() -> None:
    with pytest.raises(Unauthenticated, match="key that is not accepted"):
        verify_token(token(partner(), NEW_KEY), platform_settings())


def test_unsigned_token_is_refused() -> None:
    claims = {
        "sub": "attacker", "role": "ilo_global", "iss": "score-gateway",
        "aud": "score-services", "iat": int(time.time()), "exp": int(time.time()) + 60,
    }  # fmt: skip
    forged = jwt.encode(claims, key="", algorithm="none", headers={"kid": IDENTITY_KEY.kid})
    with pytest.raises(Unauthenticated):
        verify_token(forged, platform_settings())


def test_token_keyed_with_the_public_key_as_an_hmac_secret_is_refused() -> None:
    """The classic algorithm confusion: the services' public key is no secret."""
    claims = jwt.decode(token(partner()), options={"verify_signature": False})
    claims["role"] = "ilo_global"
    public_x = OKPAlgorithm.to_jwk(IDENTITY_KEY.public, as_dict=True)["x"]
    forged = jwt.encode(claims, public_x, algorithm="HS256", headers={"kid": IDENTITY_KEY.kid})
    with pytest.raises(Unauthenticated, match="not valid"):
        verify_token(forged, platform_settings())


def test_token_for_another_audience_is_refused() -> None:
    with pytest.raises(Unauthenticated):
        verify_token(token(partner(), audience="someone-else"), platform_settings())


def test_rest_and_graph_audiences_do_not_open_each_others_doors() -> None:
    settings = platform_settings()
    graph_token = token(partner(), audience=settings.identity_graph_audience)
    with pytest.raises(Unauthenticated):
        verify_token(graph_token, settings)
    with pytest.raises(Unauthenticated):
        verify_token(token(partner()), settings, audience=settings.identity_graph_audience)
    assert verify_token(graph_token, settings, audience=settings.identity_graph_audience)


def test_a_feed_token_is_no_identity() -> None:
    feed = sign_feed_token(FEED_KEYS["reporting"], reader="reporting", producer="enrolment")
    with pytest.raises(Unauthenticated, match="key that is not accepted"):
        verify_token(feed, platform_settings())


def test_role_without_its_tenant_anchor_is_refused() -> None:
    with pytest.raises(ValidationError, match="requires organisation_id"):
        Principal(subject="x", role=Role.partner_staff)


# --- rotation by kid ---------------------------------------------------------------------


def test_token_names_its_signing_key_in_the_kid_header() -> None:
    header = jwt.get_unverified_header(token(partner(), NEW_KEY))
    assert header == {"alg": "EdDSA", "kid": NEW_KEY.kid, "typ": "JWT"}
    assert NEW_KEY.kid != OLD_KEY.kid


def test_kid_is_the_keys_rfc_7638_thumbprint() -> None:
    """The example of RFC 8037 appendix A.3."""
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
    public = OKPAlgorithm.from_jwk(jwk)
    assert key_id(public) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"  # type: ignore[arg-type]


def test_token_signed_before_a_rotation_verifies_while_its_key_is_listed() -> None:
    principal = partner()
    old_token = token(principal, OLD_KEY)
    assert verify_token(old_token, accepting(NEW_KEY, OLD_KEY)) == principal
    with pytest.raises(Unauthenticated, match="key that is not accepted"):
        verify_token(old_token, accepting(NEW_KEY))


def test_token_with_a_forged_kid_is_refused() -> None:
    """Naming an accepted key does not help a token signed with another one."""
    forged = SigningKey(private=NEW_KEY.private, kid=OLD_KEY.kid)
    with pytest.raises(Unauthenticated, match="not valid"):
        verify_token(token(partner(), forged), accepting(OLD_KEY))


def test_gateway_refuses_a_key_the_services_would_not_accept() -> None:
    with pytest.raises(ValidationError, match="not in SCORE_IDENTITY_JWKS"):
        GatewaySettings(
            platform=accepting(OLD_KEY),
            identity_key=SecretStr(private_key_pem(NEW_KEY.private)),
            api_key_pepper=SecretStr(TEST_PEPPER),
        )
    rotated = GatewaySettings(
        platform=accepting(OLD_KEY, NEW_KEY),
        identity_key=SecretStr(private_key_pem(NEW_KEY.private)),
        api_key_pepper=SecretStr(TEST_PEPPER),
    )
    assert rotated.identity_signing_key.kid == NEW_KEY.kid


def test_private_keys_are_read_as_pem_or_as_a_jwk() -> None:
    as_jwk = json.dumps(OKPAlgorithm.to_jwk(NEW_KEY.private, as_dict=True))
    for text in (private_key_pem(NEW_KEY.private), as_jwk):
        settings = IndicatorsSettings(platform=platform_settings(), feed_key=SecretStr(text))
        assert settings.feed_signing_key.kid == NEW_KEY.kid


# --- configuration outside development ---------------------------------------------------


@pytest.mark.parametrize("missing", ["identity_jwks", "feed_readers_jwks"])
def test_public_keys_are_required_outside_development(missing: str) -> None:
    with pytest.raises(ValidationError, match=f"SCORE_{missing.upper()} is required"):
        platform_settings(environment=Environment.production, **{missing: None})


def test_a_jwks_holding_a_private_key_or_a_wrong_kid_is_refused() -> None:
    private_jwk = OKPAlgorithm.to_jwk(NEW_KEY.private, as_dict=True)
    public = jwks_document([NEW_KEY.public])
    public["keys"][0]["kid"] = OLD_KEY.kid
    documents: list[object] = [{"keys": [private_jwk]}, public, {"keys": []}]
    for document in documents:
        with pytest.raises(ValidationError, match="SCORE_IDENTITY_JWKS"):
            platform_settings(identity_jwks=json.dumps(document))


def test_private_keys_are_required_outside_development() -> None:
    with pytest.raises(ValidationError, match="SCORE_GATEWAY_IDENTITY_KEY is required"):
        GatewaySettings(platform=platform_settings(), api_key_pepper=SecretStr(TEST_PEPPER))
    with pytest.raises(ValidationError, match="SCORE_INDICATORS_FEED_KEY is required"):
        IndicatorsSettings(platform=platform_settings())
    with pytest.raises(ValidationError, match="SCORE_INDICATORS_FEED_KEY"):
        IndicatorsSettings(platform=platform_settings(), feed_key=SecretStr("not a key"))


def test_keys_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCORE_ENVIRONMENT", "test")
    monkeypatch.setenv("SCORE_IDENTITY_JWKS", IDENTITY_JWKS)
    monkeypatch.setenv("SCORE_FEED_READERS_JWKS", FEED_READERS_JWKS)
    loaded = PlatformSettings()
    assert set(loaded.identity_public_keys) == {IDENTITY_KEY.kid}
    assert set(loaded.feed_reader_public_keys) == {key.kid for key in FEED_KEYS.values()}
    assert verify_token(token(partner()), loaded).role is Role.partner_staff


def test_embedded_database_is_refused_in_production() -> None:
    production = platform_settings(environment=Environment.production)
    with pytest.raises(ValidationError, match="SCORE_ENROLMENT_DATABASE_URL is required"):
        EnrolmentSettings(platform=production)


# --- development: zero configuration ------------------------------------------------------


def test_development_makes_one_key_pair_under_the_data_folder(tmp_path: Path) -> None:
    development = PlatformSettings(environment=Environment.development, data_dir=tmp_path)
    gateway = GatewaySettings(platform=development)
    signed = issue_token(partner(), gateway.identity_signing_key, development)
    # A service of the same data folder verifies it, knowing only the public key.
    service = PlatformSettings(environment=Environment.development, data_dir=tmp_path)
    assert verify_token(signed, service).role is Role.partner_staff
    (key_file,) = (tmp_path / "keys").glob(f"{IDENTITY_KEY_NAME}.pem")
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    # Another data folder is another platform: its tokens are not accepted here.
    elsewhere = SigningKey.of(development_key(tmp_path / "other", IDENTITY_KEY_NAME))
    with pytest.raises(Unauthenticated):
        verify_token(issue_token(partner(), elsewhere, development), service)


def test_development_key_is_made_once_and_then_kept(tmp_path: Path) -> None:
    first = key_id(development_key(tmp_path, "feed-reporting").public_key())
    assert key_id(development_key(tmp_path, "feed-reporting").public_key()) == first
    assert [p.name for p in (tmp_path / "keys").iterdir()] == ["feed-reporting.pem"]


def test_a_token_verified_before_is_refused_once_it_expires() -> None:
    """Verified tokens are recognised again without checking the signature, until they
    expire: not a moment longer."""
    principal, settings = partner(), platform_settings()
    short_lived = token(principal, ttl_seconds=2)
    assert verify_token(short_lived, settings) == principal
    expires_at = jwt.decode(short_lived, options={"verify_signature": False})["exp"]
    time.sleep(max(expires_at - time.time(), 0) + 0.1)
    with pytest.raises(Unauthenticated, match="expired"):
        verify_token(short_lived, settings)


def test_a_token_verified_before_is_refused_once_its_key_is_dropped() -> None:
    principal, settings = partner(), accepting(NEW_KEY, OLD_KEY)
    old_token = token(principal, OLD_KEY)
    assert verify_token(old_token, settings) == principal
    assert verify_token(old_token, settings) == principal
    settings.__dict__.pop("identity_public_keys")  # the key set is read again, without it
    settings.identity_jwks = json.dumps(jwks_document([NEW_KEY.public]))
    with pytest.raises(Unauthenticated, match="key that is not accepted"):
        verify_token(old_token, settings)
