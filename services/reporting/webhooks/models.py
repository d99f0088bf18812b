"""Webhook endpoints, their deliveries (the queue and the log) and each delivery attempt."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import BigInteger, Identity, Index, String, Text, Uuid
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Column, Field

from services.reporting.db import Table
from shared.columns import created_at_field, timestamp_field
from shared.ids import new_id


class WebhookEndpoint(Table, table=True):
    """A receiver registered by a partner, a buyer (or anyone with a tenancy): it receives
    the partner events its owner may read, of the types it asked for, in feed order."""

    __tablename__ = "webhook_endpoint"

    id: UUID = Field(default_factory=new_id, primary_key=True)
    # The owner's tenancy, as the identity that registered it had it: deliveries are
    # decided by the same rule as the owner's own feed (services/reporting/tenancy.py).
    owner_role: str = Field(sa_type=String(40))
    owner_organisation_id: UUID | None = Field(default=None, index=True)
    owner_project_id: UUID | None = None
    owner_enterprise_id: UUID | None = None
    owner_trainer_id: UUID | None = None
    created_by: str = Field(sa_type=String(200))
    url: str = Field(sa_type=String(2000))
    description: str | None = Field(default=None, sa_type=String(500))
    # Empty: every type the owner may receive.
    event_types: list[str] = Field(
        default_factory=list,
        sa_column=Column(ARRAY(String(60)), nullable=False, server_default="{}"),
    )
    # active | disabled
    status: str = Field(default="active", sa_type=String(20))
    disabled_reason: str | None = Field(default=None, sa_type=Text)
    disabled_at: datetime | None = timestamp_field()
    # Standard Webhooks secrets ("whsec_" + base64); during a rotation the previous one
    # signs too until it expires.
    secret: str = Field(sa_type=String(100))
    previous_secret: str | None = Field(default=None, sa_type=String(100))
    previous_secret_expires_at: datetime | None = timestamp_field()
    # The last feed position considered for this endpoint (deliveries made up to it).
    cursor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    # Since when every attempt has failed; cleared by a success. A day of it disables.
    failing_since: datetime | None = timestamp_field()
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class WebhookDelivery(Table, table=True):
    """One event for one endpoint: queued (pending) until delivered, in ``sequence`` order
    per endpoint; the log of what happened to it."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (Index("ix_webhook_delivery_queue", "endpoint_id", "status", "sequence"),)

    sequence: int | None = Field(
        default=None, sa_column=Column(BigInteger, Identity(always=True), primary_key=True)
    )
    id: UUID = Field(default_factory=new_id, sa_column=Column(Uuid, nullable=False, unique=True))
    endpoint_id: UUID = Field(foreign_key="webhook_endpoint.id", index=True, ondelete="CASCADE")
    event_position: int = Field(sa_column=Column(BigInteger, nullable=False))
    # The event's id: the webhook-id of every attempt (receivers deduplicate by it).
    event_id: UUID
    event_type: str = Field(sa_type=String(60))
    # pending | delivered | suppressed (no longer the owner's to receive)
    status: str = Field(default="pending", sa_type=String(20))
    attempts: int = 0
    next_attempt_at: datetime = created_at_field()
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, sa_type=Text)
    delivered_at: datetime | None = timestamp_field()
    redelivery_of: UUID | None = None
    created_at: datetime = created_at_field()


class WebhookAttempt(Table, table=True):
    """One HTTP attempt of a delivery: when, how long, what came back."""

    __tablename__ = "webhook_attempt"

    id: int | None = Field(
        default=None, sa_column=Column(BigInteger, Identity(always=True), primary_key=True)
    )
    delivery_id: UUID = Field(index=True)
    attempted_at: datetime = created_at_field()
    status_code: int | None = None
    error: str | None = Field(default=None, sa_type=Text)
    duration_ms: int
