"""The reporting service's table registry, plumbing tables and change log."""

from sqlmodel import SQLModel

from shared.columns import (
    created_at_field,
    enum_field,
    timestamp_field,
    utcnow,
)
from shared.db import service_registry
from shared.outbox import ChangeLog
from shared.plumbing import plumbing_tables

registry = service_registry()
metadata = registry.metadata
plumbing = plumbing_tables(metadata)
changes = ChangeLog(plumbing)


class Table(SQLModel, registry=registry):
    """Base of every reporting table model (its own metadata, its own database)."""


__all__ = [
    "Table",
    "changes",
    "created_at_field",
    "enum_field",
    "metadata",
    "plumbing",
    "registry",
    "timestamp_field",
    "utcnow",
]
