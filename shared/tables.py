"""A service database's tables besides its domain's, made the same way for every service: one
registry (and metadata) of its own, the plumbing tables on it, and the change log writing
to them."""

from typing import NamedTuple

from sqlalchemy import MetaData
from sqlalchemy.orm import registry as orm_registry

from shared.db import service_registry
from shared.outbox import ChangeLog
from shared.plumbing import Plumbing, plumbing_tables


class ServiceTables(NamedTuple):
    registry: orm_registry
    metadata: MetaData
    plumbing: Plumbing
    changes: ChangeLog


def service_tables() -> ServiceTables:
    """A new registry with the plumbing tables on its metadata, and its change log."""
    registry = service_registry()
    plumbing = plumbing_tables(registry.metadata)
    return ServiceTables(registry, registry.metadata, plumbing, ChangeLog(plumbing))
