"""Alembic environment of the enrolment database."""

from services.enrolment.models import metadata
from shared.migration_env import run_migrations

run_migrations(metadata)
