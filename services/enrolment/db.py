"""The enrolment service's table registry, plumbing tables and change log."""

from sqlmodel import SQLModel

from shared.tables import service_tables

registry, metadata, plumbing, changes = service_tables()


class Table(SQLModel, registry=registry):
    """Base of every enrolment table model (its own metadata, its own database)."""
