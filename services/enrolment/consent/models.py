"""Consent to share an enterprise's SCORE status with one named lead buyer, and its history."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import String, UniqueConstraint
from sqlmodel import Field

from services.enrolment.db import Table
from shared.columns import created_at_field, enum_field, timestamp_field
from shared.enums import ConsentStatus
from shared.ids import new_id


class Consent(Table, table=True):
    """Whether an enterprise shares its SCORE status with one named buyer (opt-in)."""

    __tablename__ = "consent"
    __table_args__ = (UniqueConstraint("enterprise_id", "buyer_id"),)

    id: UUID = Field(default_factory=new_id, primary_key=True)
    enterprise_id: UUID = Field(foreign_key="enterprise.id", index=True)
    buyer_id: UUID = Field(foreign_key="organisation.id", index=True)
    status: ConsentStatus = enum_field()
    scope: str = Field(default="supplier_status", sa_type=String(60))
    given_at: datetime | None = timestamp_field()
    withdrawn_at: datetime | None = timestamp_field()
    updated_at: datetime = created_at_field()


class ConsentEvent(Table, table=True):
    """History of a consent: every give and withdraw, by whom and why."""

    __tablename__ = "consent_event"

    id: UUID = Field(default_factory=new_id, primary_key=True)
    consent_id: UUID = Field(foreign_key="consent.id", index=True, ondelete="CASCADE")
    status: ConsentStatus = enum_field()
    actor: str = Field(sa_type=String(200))
    reason: str | None = None
    at: datetime = created_at_field()
