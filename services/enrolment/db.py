"""The enrolment service's table registry, plumbing tables and change log."""

from datetime import UTC, datetime
from typing import Annotated, Any

from sqlalchemy import DateTime, String
from sqlmodel import Field, SQLModel

from shared.db import service_registry
from shared.idempotency import Idempotency, idempotency_dependency
from shared.outbox import ChangeLog
from shared.plumbing import plumbing_tables

registry = service_registry()
metadata = registry.metadata
plumbing = plumbing_tables(metadata)
changes = ChangeLog(plumbing)

# Declare on POST endpoints that partner systems retry.
Idempotent = Annotated[Idempotency, idempotency_dependency(plumbing)]


class Table(SQLModel, registry=registry):
    """Base of every enrolment table model (keeps them off SQLModel's global metadata)."""


def utcnow() -> datetime:
    return datetime.now(UTC)


def created_at_field() -> Any:
    return Field(default_factory=utcnow, sa_type=DateTime(timezone=True), nullable=False)


def timestamp_field(*, nullable: bool = True) -> Any:
    return Field(default=None, sa_type=DateTime(timezone=True), nullable=nullable)


def enum_field(*, max_length: int = 40, index: bool = False, default: Any = ...) -> Any:
    # Enums stored as text with a check in Python: adding a value needs no ALTER TYPE.
    return Field(default=default, sa_type=String(max_length), index=index, nullable=False)
