"""API key contracts: what an operator asks for, what a listing shows (never a secret)."""

from datetime import datetime
from enum import StrEnum
from typing import Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from services.gateway.keys.models import ApiKey
from services.gateway.settings import DEFAULT_SCOPES, KNOWN_SCOPES
from shared.columns import utcnow
from shared.enums import Role
from shared.identity import Principal

KEY_PREFIX = "score_"


class ApiKeyStatus(StrEnum):
    active = "active"
    expired = "expired"
    revoked = "revoked"


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role
    organisation_id: UUID | None = None
    project_id: UUID | None = None
    enterprise_id: UUID | None = None
    trainer_id: UUID | None = None
    scopes: list[str] = Field(default_factory=lambda: list(DEFAULT_SCOPES), min_length=1)
    name: str | None = Field(default=None, max_length=200)
    expires_at: datetime | None = None

    @field_validator("role")
    @classmethod
    def _not_a_service(cls, value: Role) -> Role:
        # The service role reads every tenant's event feed; it is never handed out.
        if value is Role.service:
            raise ValueError("the service role is for the platform's own services, not keys")
        return value

    @field_validator("scopes")
    @classmethod
    def _known_scopes(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - KNOWN_SCOPES)
        if unknown:
            raise ValueError(f"unknown scopes {unknown}; known: {sorted(KNOWN_SCOPES)}")
        return sorted(set(value))

    @field_validator("expires_at")
    @classmethod
    def _in_the_future(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("give the expiry with a time zone (for example ...T00:00:00Z)")
        if value <= utcnow():
            raise ValueError("the expiry must be in the future")
        return value

    @model_validator(mode="after")
    def _tenant_anchor_present(self) -> Self:
        # The same rule a principal obeys; checked here so a key that could never be used
        # is never created.
        self.principal("check")
        return self

    def principal(self, subject: str) -> Principal:
        return Principal(
            subject=subject,
            role=self.role,
            organisation_id=self.organisation_id,
            project_id=self.project_id,
            enterprise_id=self.enterprise_id,
            trainer_id=self.trainer_id,
            scopes=frozenset(self.scopes),
        )


class ApiKeyPublic(BaseModel):
    id: UUID
    prefix: str = Field(description="The key's public start, as shown in listings")
    name: str | None
    role: Role
    organisation_id: UUID | None
    project_id: UUID | None
    enterprise_id: UUID | None
    trainer_id: UUID | None
    scopes: list[str]
    status: ApiKeyStatus
    created_by: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    revoked_by: str | None

    @classmethod
    def build(cls, key: ApiKey, *, now: datetime | None = None) -> "ApiKeyPublic":
        return cls(
            id=key.id,
            prefix=KEY_PREFIX + key.prefix,
            name=key.name,
            role=key.role,
            organisation_id=key.organisation_id,
            project_id=key.project_id,
            enterprise_id=key.enterprise_id,
            trainer_id=key.trainer_id,
            scopes=list(key.scopes),
            status=key_status(key, now or utcnow()),
            created_by=key.created_by,
            created_at=key.created_at,
            expires_at=key.expires_at,
            revoked_at=key.revoked_at,
            revoked_by=key.revoked_by,
        )


def key_status(key: ApiKey, now: datetime) -> ApiKeyStatus:
    if key.revoked_at is not None:
        return ApiKeyStatus.revoked
    if key.expires_at is not None and key.expires_at <= now:
        return ApiKeyStatus.expired
    return ApiKeyStatus.active


class CreatedApiKey(BaseModel):
    """The one moment the secret exists outside its owner's hands: shown once, never stored."""

    key: ApiKeyPublic
    secret: str
