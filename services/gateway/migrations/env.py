"""Alembic environment of the gateway database."""

from services.gateway.models import metadata
from shared.migration_env import run_migrations

run_migrations(metadata)
