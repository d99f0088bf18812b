"""The partner event feed's tables: the events themselves, in publication order, and the
last supplier status published per enterprise (to tell what changed)."""

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import BigInteger, Identity, Index, String, Uuid
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlmodel import Column, Field

from services.reporting.db import Table
from shared.columns import created_at_field


class PartnerEvent(Table, table=True):
    """One published event about one enterprise.

    Written by the feed consumers in the transaction that applies the upstream event (so
    none is lost or published twice); read through the tenancy rule of its reader
    (``tenancy.partner_event_visible``)."""

    __tablename__ = "partner_event"
    __table_args__ = (Index("ix_partner_event_enterprise_position", "enterprise_id", "position"),)

    # The feed position: writers serialise on an advisory lock until they commit, so
    # positions become visible in order and a reader never skips one.
    position: int | None = Field(
        default=None, sa_column=Column(BigInteger, Identity(always=True), primary_key=True)
    )
    # The event's id (webhook-id); derived from the upstream event, so a replay of the
    # upstream feed publishes nothing twice.
    id: UUID = Field(sa_column=Column(Uuid, nullable=False, unique=True))
    event_type: str = Field(sa_type=String(60), index=True)
    version: int
    occurred_at: datetime = created_at_field()
    enterprise_id: UUID
    # The project the event belongs to, if any (a programme manager sees its own only).
    project_id: UUID | None = None
    # Buyer-facing events: the buyers the supplier consented to share with when it was
    # published. A buyer reads it only if it is listed and still consents now.
    buyer_ids: list[UUID] = Field(
        default_factory=list, sa_column=Column(ARRAY(Uuid), nullable=False, server_default="{}")
    )
    payload: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))


class PublishedSupplierStatus(Table, table=True):
    """The supplier status last published for an enterprise: the next one says what
    changed against it, and nothing is published when nothing did."""

    __tablename__ = "published_supplier_status"

    enterprise_id: UUID = Field(primary_key=True)
    status: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    published_at: datetime = created_at_field()
