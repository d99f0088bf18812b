"""Gateway settings (env prefix ``SCORE_GATEWAY_``; nested values with ``__``, for example
``SCORE_GATEWAY_GRAPHQL__MAX_DEPTH=8`` or ``SCORE_GATEWAY_OIDC_CLAIMS__ROLE=roles``)."""

import fnmatch
import ipaddress
import json
import re
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from shared.keys import SigningKey
from shared.settings import (
    IDENTITY_KEY_NAME,
    Environment,
    ServiceSettings,
    check_private_key,
    signing_key,
)

# Where `score up` runs the services; deployments configure SCORE_GATEWAY_SERVICES.
DEVELOPMENT_SERVICES = {
    "enrolment": "http://127.0.0.1:8001",
    "indicators": "http://127.0.0.1:8002",
    "reporting": "http://127.0.0.1:8003",
}
SERVICE_NAME = re.compile(r"[a-z][a-z0-9-]*")

# Refused anywhere but development, like the development identity secret.
DEVELOPMENT_API_KEY_PEPPER = "development-only-api-key-pepper-change-me"

# Asymmetric only: with a symmetric algorithm (HS256) the issuer's *public* JWKS would be
# the signing key, and anyone could mint tokens; "none" is no signature at all.
ASYMMETRIC_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)

# What a key or token may do beyond what its role allows: ``read`` safe REST methods and
# GraphQL, ``write`` the other REST methods, ``admin`` GraphQL introspection.
KNOWN_SCOPES = frozenset({"read", "write", "admin"})
DEFAULT_SCOPES = ("read", "write")
BULK_PATHS = (
    "/*/events",
    "/reporting/feed",  # the partner feed long-polls (up to 25 s)
    "/indicators/imports",
    "/indicators/imports/*",
    "/indicators/exports/*",
    "/indicators/values/batches",
    "/indicators/satisfaction-responses/batch",
    "/reporting/exports/*",
    "/reporting/charts/*",
)


def _list_from_env(value: Any) -> Any:
    """A list setting from the environment: a JSON list, or comma-separated values."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith("["):
        return json.loads(text)
    return [part.strip() for part in text.split(",") if part.strip()]


class OidcClaims(BaseModel):
    """Which claim of the issuer's tokens carries each part of the SCORE principal."""

    subject: str = "sub"
    role: str = "score_role"
    organisation: str = "score_organisation_id"
    project: str = "score_project_id"
    enterprise: str = "score_enterprise_id"
    trainer: str = "score_trainer_id"
    # A space-separated string (OAuth 2 "scope") or a list ("scp").
    scopes: str = "scope"


@lru_cache(maxsize=16)
def _any_of(patterns: tuple[str, ...]) -> re.Pattern[str]:
    """One expression matching what ``fnmatch.fnmatchcase`` matches with any of ``patterns``
    (a path is judged on every proxied request)."""
    if not patterns:
        return re.compile(r"(?!)")  # matches nothing
    return re.compile("|".join(f"(?:{fnmatch.translate(pattern)})" for pattern in patterns))


class GraphLimits(BaseModel):
    """Configured as ``SCORE_GATEWAY_GRAPHQL__<NAME>`` (for example ``..._MAX_DEPTH=12``)."""

    max_body_bytes: int = Field(default=100_000, gt=0)
    max_tokens: int = Field(default=5_000, gt=0)
    max_depth: int = Field(default=12, gt=0)
    max_aliases: int = Field(default=30, ge=0)
    max_root_fields: int = Field(default=20, gt=0)
    # Estimated cost: each field costs 1 (or its @cost), multiplied by the sizes of the
    # enclosing lists (their page size or declared @listSize).
    max_cost: int = Field(default=50_000, gt=0)
    # Introspection for everyone (development); otherwise only callers with the admin scope.
    introspection: bool = False
    # Items assumed for a list field whose subgraph declares no @listSize.
    default_list_size: int = Field(default=10, gt=0)
    # Parsed documents and plans kept, most recently used first.
    plan_cache_size: int = Field(default=500, gt=0)


class GatewaySettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="SCORE_GATEWAY_", env_nested_delimiter="__", extra="ignore"
    )

    service_name: str = "gateway"
    port: int = 8000
    host: str = "127.0.0.1"

    # The services the gateway fronts, by the name that prefixes their REST routes, as JSON
    # (`score up` sets it from the registry): {"enrolment": "http://enrolment:8001", ...}.
    services: dict[str, str] = Field(default_factory=lambda: dict(DEVELOPMENT_SERVICES))
    # Their GraphQL subgraphs, name -> URL; unset: every service's /graphql.
    subgraphs: dict[str, str] | None = None
    # Seconds between two polls of the subgraphs' SDLs (a changed one is recomposed).
    graph_poll_interval: float = Field(default=10.0, gt=0)
    # Longest wait for one subgraph's SDL: a subgraph that hangs holds the first graph (and
    # so the gateway's readiness) this long before its stored SDL stands in.
    graph_schema_timeout: float = Field(default=10.0, gt=0)
    # The subgraphs' SDLs to fall back on, on a cold start, for those that do not answer;
    # unset: the artefact committed with the code (`score graph compose` writes it).
    graph_fallback_file: Path | None = None
    upstream_connect_timeout: float = Field(default=3.0, gt=0)
    # Longest wait for a service to start answering a write (and between two chunks of a
    # body). Interactive reads (GET, HEAD, OPTIONS) have a shorter one, so a hung service
    # answers 504 fast; bulk routes (imports, exports, value batches, event feeds) longer.
    upstream_read_timeout: float = Field(default=30.0, gt=0)
    upstream_interactive_timeout: float = Field(default=10.0, gt=0)
    upstream_bulk_timeout: float = Field(default=300.0, gt=0)
    # Shell patterns of "/{service}/{path}" that are bulk routes.
    upstream_bulk_paths: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(BULK_PATHS)
    )
    # Idle pooled connections are dropped before the services' own keep-alive ends
    # (uvicorn's is 5 s), so the gateway seldom reuses one a service is closing.
    upstream_keepalive_expiry: float = Field(default=2.0, ge=0)
    upstream_max_connections: int = Field(default=200, gt=0)
    # Uploads streamed to a service at once (bodies over 1 MiB, or chunked): each holds a
    # pooled connection as long as its sender takes to send, so slow senders must not take
    # the whole pool (every other caller then waited for a connection and got a 504). One
    # more is answered 503 with Retry-After.
    upstream_max_streamed_uploads: int = Field(default=50, gt=0)
    # Each service's /readyz gets this long before the gateway reports it down.
    readiness_timeout: float = Field(default=2.0, gt=0)
    # The identity token forwarded to services lives only as long as one request needs.
    forwarded_token_ttl: int = Field(default=60, gt=0)
    # The gateway's private key (Ed25519, PEM or JWK) for the identity tokens it mints: only
    # the gateway holds it; its public half must be in SCORE_IDENTITY_JWKS. Unset in
    # development: a development key under the data folder.
    identity_key: SecretStr | None = None
    # Proxies (addresses or CIDR ranges) in front of the gateway whose X-Forwarded-For names
    # the client. Default: nobody, so no caller can choose the address it is counted under.
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)

    # OpenID Connect. Unset issuer: bearer JWTs from an identity provider are not accepted.
    oidc_issuer: str | None = None
    oidc_audience: str | None = None
    # Unset: discovered from the issuer's /.well-known/openid-configuration.
    oidc_jwks_url: str | None = None
    oidc_algorithms: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["RS256"])
    oidc_jwks_cache_ttl: float = Field(default=300.0, ge=0)
    # A token naming a kid the cached JWKS lacks refetches it, at most this often: made-up
    # kids must not turn the gateway into a flood of requests to the identity provider.
    oidc_jwks_min_refresh_interval: float = Field(default=10.0, ge=0)
    # Seconds of clock skew tolerated on exp / nbf / iat.
    oidc_leeway: int = Field(default=30, ge=0)
    oidc_claims: OidcClaims = Field(default_factory=OidcClaims)
    # Scopes of a token that carries none of the known ones (most identity providers' tokens).
    oidc_default_scopes: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(DEFAULT_SCOPES)
    )

    # Keyed hash of API keys: a stolen table of hashes is useless without it.
    api_key_pepper: SecretStr = SecretStr(DEVELOPMENT_API_KEY_PEPPER)
    # Seconds a verified key is remembered; a revocation takes effect within this time.
    api_key_cache_ttl: float = Field(default=5.0, ge=0)

    # Token bucket per caller: sustained requests per second, and the burst above it.
    rate_limit_per_second: float = Field(default=50.0, gt=0)
    rate_limit_burst: int = Field(default=100, gt=0)
    # Where the buckets live: "database" (shared by every replica) or "memory" (this
    # process only); unset: memory in development, the database anywhere else.
    rate_limit_store: Literal["memory", "database"] | None = None
    # Tokens a replica reserves from the shared bucket at once; unset: a tenth of a
    # second's worth, at most a twentieth of the burst.
    rate_limit_lease: int | None = Field(default=None, gt=0)

    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Largest request body accepted on any route (GraphQL has its own, smaller limit).
    max_body_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    request_id_header: str = "X-Request-ID"
    # JSON logs carrying the request id, installed at start-up; off where the app is
    # embedded in another program's logging (tests).
    configure_logging: bool = True
    # Seconds the merged OpenAPI document is kept before the services are asked again.
    openapi_cache_ttl: float = Field(default=60.0, ge=0)
    graphql: GraphLimits = Field(default_factory=GraphLimits)

    _split_lists = field_validator(
        "oidc_algorithms",
        "oidc_default_scopes",
        "cors_origins",
        "trusted_proxies",
        "upstream_bulk_paths",
        mode="before",
    )(_list_from_env)

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses_or_networks(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError as exc:
                raise ValueError(f"{entry!r} is not an IP address or CIDR range") from exc
        return value

    @field_validator("oidc_algorithms")
    @classmethod
    def _asymmetric_algorithms_only(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("at least one algorithm is required")
        refused = [name for name in value if name not in ASYMMETRIC_ALGORITHMS]
        if refused:
            raise ValueError(
                f"algorithms {refused} are refused; use asymmetric ones: "
                + ", ".join(sorted(ASYMMETRIC_ALGORITHMS))
            )
        return value

    @field_validator("oidc_default_scopes")
    @classmethod
    def _known_scopes(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - KNOWN_SCOPES)
        if unknown:
            raise ValueError(f"unknown scopes {unknown}; known: {sorted(KNOWN_SCOPES)}")
        return value

    @model_validator(mode="after")
    def _refuse_unsafe_configuration(self) -> Self:
        if self.oidc_issuer is not None and not self.oidc_audience:
            raise ValueError(
                "SCORE_GATEWAY_OIDC_AUDIENCE is required with SCORE_GATEWAY_OIDC_ISSUER: "
                "without it, tokens the issuer minted for any other application would pass"
            )
        if self.platform.environment is Environment.production and self.graphql.introspection:
            raise ValueError(
                "SCORE_GATEWAY_GRAPHQL__INTROSPECTION is refused in production: the schema is "
                "published as schema.graphql, and admin-scoped keys may still introspect"
            )
        pepper = self.api_key_pepper.get_secret_value()
        if self.platform.environment is not Environment.development and (
            pepper == DEVELOPMENT_API_KEY_PEPPER
        ):
            raise ValueError(
                "SCORE_GATEWAY_API_KEY_PEPPER is left at its development default; "
                f"set a real one for the {self.platform.environment.value} environment"
            )
        if len(pepper) < 32:
            raise ValueError("SCORE_GATEWAY_API_KEY_PEPPER must be at least 32 characters")
        check_private_key(
            self.identity_key, variable="SCORE_GATEWAY_IDENTITY_KEY", platform=self.platform
        )
        if (
            self.identity_key is not None
            and self.identity_signing_key.kid not in self.platform.identity_public_keys
        ):
            raise ValueError(
                "SCORE_GATEWAY_IDENTITY_KEY's public key (kid "
                f"{self.identity_signing_key.kid}) is not in SCORE_IDENTITY_JWKS: the services "
                "would refuse every token the gateway signs"
            )
        return self

    @cached_property
    def identity_signing_key(self) -> SigningKey:
        return signing_key(self.identity_key, platform=self.platform, name=IDENTITY_KEY_NAME)

    def is_bulk(self, path: str) -> bool:
        """Whether ``path`` is one whose answers may take long to start (long polls,
        exports, imports): ``upstream_bulk_paths``."""
        return _any_of(tuple(self.upstream_bulk_paths)).match(path) is not None

    def upstream_timeout(self, method: str, path: str) -> float:
        """How long a service may take to start answering ``method`` on ``path``."""
        if self.is_bulk(path):
            return self.upstream_bulk_timeout
        if method in ("GET", "HEAD", "OPTIONS"):
            return self.upstream_interactive_timeout
        return self.upstream_read_timeout

    @field_validator("services", "subgraphs")
    @classmethod
    def _names_and_urls(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        for name, url in (value or {}).items():
            if not SERVICE_NAME.fullmatch(name):
                raise ValueError(f"'{name}' is not a service name (lowercase letters, digits, -)")
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"the URL of '{name}' must be http(s): {url!r}")
        return value

    @property
    def shared_rate_limits(self) -> bool:
        if self.rate_limit_store is not None:
            return self.rate_limit_store == "database"
        return self.platform.environment is not Environment.development

    @property
    def service_urls(self) -> dict[str, str]:
        """Each fronted service's base URL, by the name that prefixes its routes."""
        return {name: url.rstrip("/") for name, url in self.services.items()}

    @property
    def subgraph_urls(self) -> dict[str, str]:
        """Each subgraph's GraphQL URL, by the name errors and traces give it."""
        if self.subgraphs is not None:
            return dict(self.subgraphs)
        return {name: f"{url}/graphql" for name, url in self.service_urls.items()}
