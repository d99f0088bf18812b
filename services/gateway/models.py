"""Every gateway table, imported in one place for Alembic and the test fixtures."""

from services.gateway.auth.models import RateLimitBucket
from services.gateway.db import metadata, plumbing
from services.gateway.keys.models import ApiKey

__all__ = ["ApiKey", "RateLimitBucket", "metadata", "plumbing"]
