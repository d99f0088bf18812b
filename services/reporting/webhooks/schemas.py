"""The webhook API's contract: registering endpoints, rotating their secrets, reading the
delivery log and asking for a redelivery."""

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from services.reporting.feed.schemas import EventType

# How long a rotated-out secret keeps signing by default: a day for receivers to switch.
DEFAULT_OVERLAP_SECONDS = 86_400


class WebhookCreate(BaseModel):
    url: str = Field(
        min_length=8,
        max_length=2000,
        description="Where events are POSTed (https in production; public addresses only)",
    )
    event_types: list[EventType] = Field(
        default_factory=list,
        max_length=20,
        description="The types to receive; empty: every type you may read",
    )
    description: str | None = Field(default=None, max_length=500)


class WebhookUpdate(BaseModel):
    url: str | None = Field(default=None, min_length=8, max_length=2000)
    event_types: list[EventType] | None = Field(default=None, max_length=20)
    description: str | None = Field(default=None, max_length=500)
    status: Literal["active", "disabled"] | None = Field(
        default=None,
        description="active: (re-)enable, resuming from the first undelivered event; "
        "disabled: stop delivering (events still queue)",
    )


class WebhookPublic(BaseModel):
    id: UUID
    url: str
    description: str | None
    event_types: list[str]
    status: Literal["active", "disabled"]
    disabled_reason: str | None = Field(description="Why it was disabled, if it is")
    disabled_at: datetime | None
    failing_since: datetime | None = Field(
        description="Since when every attempt failed; a day of it disables the endpoint"
    )
    previous_secret_expires_at: datetime | None = Field(
        description="During a rotation: until when the previous secret signs too"
    )
    created_at: datetime


class WebhookCreated(WebhookPublic):
    secret: str = Field(
        description="The signing secret (Standard Webhooks, whsec_...): shown once, keep it"
    )


class SecretRotation(BaseModel):
    overlap_seconds: int = Field(
        default=DEFAULT_OVERLAP_SECONDS,
        ge=0,
        le=7 * 86_400,
        description="How long the previous secret keeps signing (both signatures are sent)",
    )


class SecretRotated(BaseModel):
    secret: str = Field(description="The new signing secret: shown once")
    previous_secret_expires_at: datetime | None


class AttemptPublic(BaseModel):
    attempted_at: datetime
    status_code: int | None = Field(description="The receiver's answer; null: no answer")
    error: str | None
    duration_ms: int


class DeliveryPublic(BaseModel):
    id: UUID
    event_id: UUID = Field(description="The webhook-id header of every attempt")
    event_type: str
    status: Literal["pending", "delivered", "suppressed"] = Field(
        description="suppressed: no longer yours to receive when its turn came (e.g. consent "
        "withdrawn), so never sent"
    )
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    redelivery_of: UUID | None
    created_at: datetime
    attempt_log: list[AttemptPublic] = Field(description="Oldest first")
