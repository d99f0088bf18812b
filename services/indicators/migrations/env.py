"""Alembic environment of the indicators database."""

from services.indicators.models import metadata
from shared.migration_env import run_migrations

run_migrations(metadata)
