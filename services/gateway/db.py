"""The gateway service's table registry, plumbing tables and change log."""

from sqlmodel import SQLModel

from shared.tables import service_tables

# The gateway emits no events, but keeps the plumbing every service database has: its
# audit table records who created and revoked each API key.
registry, metadata, plumbing, changes = service_tables()


class Table(SQLModel, registry=registry):
    """Base of every gateway table model (its own metadata, its own database)."""
