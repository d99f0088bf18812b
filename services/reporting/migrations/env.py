"""Alembic environment of the reporting database."""

from services.reporting.models import metadata
from shared.migration_env import run_migrations

run_migrations(metadata)
