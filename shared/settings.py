"""Settings base: environment variables only, one prefix per service.

Platform-wide values (environment, public keys, data folder) use the ``SCORE_`` prefix
so every service reads the same ones; each service adds its own prefix for the rest.
"""

from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Self

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.keys import (
    InvalidKey,
    SigningKey,
    development_key,
    key_id,
    load_private_key,
    load_public_keys,
)

# Development keys under the data folder (shared/keys.py): the gateway's identity key and
# each feed reader's key. Outside development every key is configured instead.
IDENTITY_KEY_NAME = "gateway-identity"
FEED_READERS = ("indicators", "reporting")


def feed_key_name(reader: str) -> str:
    return f"feed-{reader}"


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


def _project_root() -> Path:
    return Path(__file__).resolve().parent.parent


class PlatformSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SCORE_", extra="ignore")

    environment: Environment = Environment.development
    # Public keys (a JWKS) that identity tokens may be signed with: the gateway's current
    # key, and during a rotation the previous one. Only the gateway holds a private key.
    # Unset in development: the development key under the data folder.
    identity_jwks: str | None = None
    # Public keys (a JWKS) of the services that read event feeds (indicators, reporting):
    # a token signed with one of them reads /events and nothing else.
    feed_readers_jwks: str | None = None
    identity_issuer: str = "score-gateway"
    # REST calls carry tokens for this audience; the subgraphs' /graphql takes only tokens
    # for the graph audience, which the gateway mints for its own subgraph calls.
    identity_audience: str = "score-services"
    identity_graph_audience: str = "score-subgraphs"
    # Seconds an identity token stays valid; the gateway re-issues one per request.
    identity_token_ttl: int = Field(default=300, gt=0)
    data_dir: Path = Field(default_factory=lambda: _project_root() / ".score")

    @model_validator(mode="after")
    def _keys_configured_outside_development(self) -> Self:
        for variable, value in (
            ("SCORE_IDENTITY_JWKS", self.identity_jwks),
            ("SCORE_FEED_READERS_JWKS", self.feed_readers_jwks),
        ):
            if value is None:
                if self.environment is not Environment.development:
                    raise ValueError(
                        f"{variable} is required in the {self.environment.value} environment "
                        "(development keys are made only for development)"
                    )
                continue
            try:
                load_public_keys(value)
            except InvalidKey as exc:
                raise ValueError(f"{variable}: {exc}") from exc
        return self

    @cached_property
    def identity_public_keys(self) -> dict[str, Ed25519PublicKey]:
        """The keys identity tokens are verified with, by ``kid``."""
        if self.identity_jwks is not None:
            return load_public_keys(self.identity_jwks)
        public = development_key(self.data_dir, IDENTITY_KEY_NAME).public_key()
        return {key_id(public): public}

    @cached_property
    def feed_reader_public_keys(self) -> dict[str, Ed25519PublicKey]:
        """The keys feed tokens are verified with, by ``kid``."""
        if self.feed_readers_jwks is not None:
            return load_public_keys(self.feed_readers_jwks)
        keys = (
            development_key(self.data_dir, feed_key_name(reader)).public_key()
            for reader in FEED_READERS
        )
        return {key_id(public): public for public in keys}

    @property
    def embedded_pg_dir(self) -> Path:
        return self.data_dir / "pgdata"


class ServiceSettings(BaseSettings):
    """Base of each service's settings; subclasses set ``env_prefix`` and ``service_name``."""

    model_config = SettingsConfigDict(extra="ignore")

    service_name: str = "service"
    # A full SQLAlchemy URL (postgresql+asyncpg://...). Unset: the embedded Postgres is used.
    database_url: SecretStr | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    # Long-poll ceiling of the event feed, in seconds.
    feed_max_wait: float = Field(default=25.0, ge=0)
    platform: PlatformSettings = Field(default_factory=PlatformSettings)

    @model_validator(mode="after")
    def _refuse_embedded_database_in_production(self) -> Self:
        if self.platform.environment is Environment.production and self.database_url is None:
            prefix = str(self.model_config.get("env_prefix", ""))
            raise ValueError(
                f"{prefix}DATABASE_URL is required in production; "
                "the embedded Postgres is for development and tests only"
            )
        return self


def check_private_key(
    value: SecretStr | None, *, variable: str, platform: PlatformSettings
) -> None:
    """Settings validation of a private key: required outside development, and usable."""
    if value is None:
        if platform.environment is not Environment.development:
            raise ValueError(
                f"{variable} is required in the {platform.environment.value} environment "
                "(development keys are made only for development)"
            )
        return
    try:
        load_private_key(value.get_secret_value())
    except InvalidKey as exc:
        raise ValueError(f"{variable}: {exc}") from exc


def signing_key(value: SecretStr | None, *, platform: PlatformSettings, name: str) -> SigningKey:
    """The configured private key, or (development) the development key ``name``."""
    if value is not None:
        return SigningKey.of(load_private_key(value.get_secret_value()))
    return SigningKey.of(development_key(platform.data_dir, name))


class FeedReaderSettings(ServiceSettings):
    """Settings of a service that reads other services' event feeds (``/events``)."""

    # The service's own private key for feed tokens (PEM or JWK): its public half is in
    # every producer's SCORE_FEED_READERS_JWKS. Unset in development: a development key.
    feed_key: SecretStr | None = None

    @model_validator(mode="after")
    def _feed_key_usable(self) -> Self:
        prefix = str(self.model_config.get("env_prefix", ""))
        check_private_key(self.feed_key, variable=f"{prefix}FEED_KEY", platform=self.platform)
        return self

    @cached_property
    def feed_signing_key(self) -> SigningKey:
        return signing_key(
            self.feed_key, platform=self.platform, name=feed_key_name(self.service_name)
        )
