"""Gateway settings that refuse unsafe configurations, and the token bucket's arithmetic."""

import httpx
import pytest
from pydantic import ValidationError

from services.gateway.app import graph_runtime
from services.gateway.auth.ratelimit import TokenBucketLimiter, retry_after_seconds
from services.gateway.settings import DEVELOPMENT_API_KEY_PEPPER, GatewaySettings
from shared.settings import Environment, PlatformSettings
from tests.enrolment.support import platform_settings
from tests.gateway.support import gateway_settings


@pytest.mark.parametrize("algorithm", ["HS256", "none", "HS512"])
def test_symmetric_or_no_signature_algorithms_are_refused_for_oidc(algorithm: str) -> None:
    with pytest.raises(ValidationError, match="refused"):
        gateway_settings(oidc_algorithms=[algorithm])


def test_oidc_issuer_without_an_audience_is_refused() -> None:
    with pytest.raises(ValidationError, match="OIDC_AUDIENCE is required"):
        gateway_settings(oidc_issuer="https://idp.example")


def test_production_refuses_introspection_for_everyone() -> None:
    production = platform_settings(environment=Environment.production)
    configured = {"platform": production, "database_url": "postgresql+asyncpg://db/gateway"}
    with pytest.raises(ValidationError, match="INTROSPECTION is refused in production"):
        gateway_settings(**configured, graphql={"introspection": True})
    assert not gateway_settings(**configured).graphql.introspection


def test_development_pepper_is_refused_outside_development() -> None:
    with pytest.raises(ValidationError, match="API_KEY_PEPPER"):
        GatewaySettings(platform=platform_settings())
    development = PlatformSettings(environment=Environment.development)
    assert GatewaySettings(platform=development).api_key_pepper.get_secret_value() == (
        DEVELOPMENT_API_KEY_PEPPER
    )


def test_settings_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCORE_ENVIRONMENT", "development")
    monkeypatch.setenv("SCORE_GATEWAY_CORS_ORIGINS", "https://a.example, https://b.example")
    monkeypatch.setenv("SCORE_GATEWAY_OIDC_ALGORITHMS", '["RS256", "ES256"]')
    monkeypatch.setenv("SCORE_GATEWAY_GRAPHQL__MAX_DEPTH", "7")
    monkeypatch.setenv("SCORE_GATEWAY_OIDC_CLAIMS__ROLE", "roles")
    monkeypatch.setenv("SCORE_GATEWAY_SERVICES", '{"enrolment": "http://10.0.0.5:9001/"}')
    monkeypatch.setenv("SCORE_GATEWAY_GRAPH_SCHEMA_TIMEOUT", "1.5")
    settings = GatewaySettings()
    assert settings.cors_origins == ["https://a.example", "https://b.example"]
    assert settings.oidc_algorithms == ["RS256", "ES256"]
    assert settings.graphql.max_depth == 7
    assert settings.oidc_claims.role == "roles"
    assert settings.service_urls == {"enrolment": "http://10.0.0.5:9001"}
    assert settings.subgraph_urls == {"enrolment": "http://10.0.0.5:9001/graphql"}
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    # The graph's runtime waits that long for a subgraph's SDL.
    assert graph_runtime(settings, httpx.AsyncClient()).schema_timeout == 1.5


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_bucket_allows_the_burst_then_the_sustained_rate() -> None:
    clock = Clock()
    limiter = TokenBucketLimiter(rate=2, burst=3, clock=clock)

    assert [limiter.take("key:a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.take("key:a") == pytest.approx(0.5)
    assert limiter.take("key:b") == 0.0  # another caller has its own bucket
    clock.now += 0.5
    assert limiter.take("key:a") == 0.0
    assert limiter.take("key:a") > 0
    clock.now += 60
    assert [limiter.take("key:a") for _ in range(3)] == [0.0, 0.0, 0.0]  # capped at burst
    assert limiter.take("key:a") > 0


def test_waiting_does_not_spend_a_token() -> None:
    clock = Clock()
    limiter = TokenBucketLimiter(rate=1, burst=1, clock=clock)
    assert limiter.wait_needed("ip") == 0.0
    assert limiter.wait_needed("ip") == 0.0
    assert limiter.take("ip") == 0.0
    assert limiter.wait_needed("ip") == pytest.approx(1.0)


def test_least_recently_seen_callers_are_forgotten_beyond_the_cap() -> None:
    limiter = TokenBucketLimiter(rate=1, burst=1, clock=Clock(), max_callers=2)
    limiter.take("a")
    limiter.take("b")
    limiter.take("c")
    assert limiter.take("a") == 0.0  # forgotten, so a full bucket again
    assert limiter.take("c") > 0


@pytest.mark.parametrize(("wait", "header"), [(0.01, 1), (1.0, 1), (1.2, 2), (9.5, 10)])
def test_retry_after_rounds_up_to_whole_seconds(wait: float, header: int) -> None:
    assert retry_after_seconds(wait) == header


@pytest.mark.parametrize(
    ("patterns", "path", "bulk"),
    [
        (["/*/events"], "/enrolment/events", True),
        (["/*/events"], "/enrolment/feed/events", True),
        (["/*/events"], "/enrolment/events/more", False),
        (["/*/events"], "/enrolment/eventsx", False),
        (["/reporting/exports/*", "/indicators/imports"], "/indicators/imports", True),
        (["/reporting/exports/*", "/indicators/imports"], "/indicators/imports/1", False),
        (["/reporting/exports/*"], "/reporting/exports/", True),
        (["/a/[bc]"], "/a/c", True),
        ([], "/enrolment/events", False),
    ],
)
def test_bulk_routes_are_the_paths_their_shell_patterns_match(
    patterns: list[str], path: str, bulk: bool
) -> None:
    settings = gateway_settings(upstream_bulk_paths=patterns)
    expected = settings.upstream_bulk_timeout if bulk else settings.upstream_interactive_timeout
    assert settings.upstream_timeout("GET", path) == expected
