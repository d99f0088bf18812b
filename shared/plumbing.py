"""Tables every service database has besides its domain: outbox, audit trail, consumer cursors.

They are SQLAlchemy Core tables created on the service's own metadata, so each service's
Alembic history creates them in its own database.
"""

from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
    func,
)
from sqlalchemy.dialects.postgresql import JSON, JSONB


@dataclass(frozen=True)
class Plumbing:
    outbox: Table
    audit: Table
    consumer_cursor: Table
    idempotency: Table


def plumbing_tables(metadata: MetaData) -> Plumbing:
    outbox = Table(
        "outbox_event",
        metadata,
        # The feed position. Writers serialise on an advisory lock, so positions become
        # visible in order and a consumer never skips a late-committing lower position.
        Column("position", BigInteger, Identity(always=True), primary_key=True),
        Column("event_id", Uuid, nullable=False, unique=True),
        Column("event_type", String(100), nullable=False),
        Column("version", Integer, nullable=False),
        Column("aggregate_type", String(50), nullable=False),
        Column("aggregate_id", Uuid, nullable=False),
        Column("occurred_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("actor", String(200), nullable=False),
        Column("payload", JSONB, nullable=False),
    )
    audit = Table(
        "audit_entry",
        metadata,
        Column("id", BigInteger, Identity(always=True), primary_key=True),
        Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("actor", String(200), nullable=False),
        Column("actor_role", String(50), nullable=False),
        Column("action", String(100), nullable=False),
        Column("entity_type", String(50), nullable=False),
        Column("entity_id", Uuid, nullable=False),
        Column("before", JSONB),
        Column("after", JSONB),
        Column("reason", Text),
        Index("ix_audit_entry_entity", "entity_type", "entity_id"),
    )
    consumer_cursor = Table(
        "consumer_cursor",
        metadata,
        Column("consumer", String(100), primary_key=True),
        Column("position", BigInteger, nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )
    idempotency = Table(
        "idempotency_record",
        metadata,
        Column("key", String(200), primary_key=True),
        Column("subject", String(200), primary_key=True),
        Column("request_hash", String(64), nullable=False),
        Column("status_code", Integer, nullable=False),
        # json, not jsonb: kept as sent, so a replay answers the fields in their order.
        Column("response", JSON, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )
    return Plumbing(
        outbox=outbox, audit=audit, consumer_cursor=consumer_cursor, idempotency=idempotency
    )
