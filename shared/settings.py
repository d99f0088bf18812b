"""Settings base: environment variables only, one prefix per service.

Platform-wide values (environment, identity secret, data folder) use the ``SCORE_`` prefix
so every service reads the same ones; each service adds its own prefix for the rest.
"""

import hashlib
import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# Refused as a secret anywhere but development, so a forgotten variable cannot ship.
DEVELOPMENT_IDENTITY_SECRET = "development-only-identity-secret-change-me"


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


def _project_root() -> Path:
    return Path(__file__).resolve().parent.parent


def identity_key_id(secret: SecretStr) -> str:
    """The ``kid`` naming a signing secret: derived from it, so every process agrees
    without configuration, and one-way, so the header reveals nothing of the secret."""
    digest = hashlib.sha256(b"score-identity-kid:" + secret.get_secret_value().encode())
    return digest.hexdigest()[:16]


class PlatformSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SCORE_", extra="ignore")

    environment: Environment = Environment.development
    identity_secret: SecretStr = SecretStr(DEVELOPMENT_IDENTITY_SECRET)
    # Secrets that signed tokens before a rotation: still accepted, never used to sign.
    # SCORE_IDENTITY_PREVIOUS_SECRETS is a JSON list or comma-separated.
    identity_previous_secrets: Annotated[list[SecretStr], NoDecode] = Field(default_factory=list)
    identity_issuer: str = "score-gateway"
    identity_audience: str = "score-services"
    # Seconds an identity token stays valid; the gateway re-issues one per request.
    identity_token_ttl: int = Field(default=300, gt=0)
    data_dir: Path = Field(default_factory=lambda: _project_root() / ".score")

    @field_validator("identity_previous_secrets", mode="before")
    @classmethod
    def _split_previous_secrets(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        text = value.strip()
        if text.startswith("["):
            return json.loads(text)
        return [part.strip() for part in text.split(",") if part.strip()]

    @model_validator(mode="after")
    def _refuse_development_secrets(self) -> Self:
        if (
            self.environment is not Environment.development
            and self.identity_secret.get_secret_value() == DEVELOPMENT_IDENTITY_SECRET
        ):
            raise ValueError(
                "SCORE_IDENTITY_SECRET is left at its development default; "
                f"set a real secret for the {self.environment.value} environment"
            )
        if len(self.identity_secret.get_secret_value()) < 32:
            raise ValueError("SCORE_IDENTITY_SECRET must be at least 32 characters")
        for previous in self.identity_previous_secrets:
            if len(previous.get_secret_value()) < 32:
                raise ValueError("each SCORE_IDENTITY_PREVIOUS_SECRETS entry needs 32+ characters")
            if (
                self.environment is not Environment.development
                and previous.get_secret_value() == DEVELOPMENT_IDENTITY_SECRET
            ):
                raise ValueError(
                    "SCORE_IDENTITY_PREVIOUS_SECRETS holds the development secret; "
                    f"it is refused in the {self.environment.value} environment"
                )
        return self

    @property
    def identity_key_id(self) -> str:
        """The ``kid`` of the secret that signs."""
        return identity_key_id(self.identity_secret)

    def identity_verification_keys(self) -> dict[str, SecretStr]:
        """Every secret a token may be signed with, by ``kid``; the signing one first."""
        keys = {identity_key_id(self.identity_secret): self.identity_secret}
        for previous in self.identity_previous_secrets:
            keys.setdefault(identity_key_id(previous), previous)
        return keys

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
