"""Identifiers: time-ordered UUIDv7, so ids sort by creation and serve as pagination cursors."""

from uuid import UUID

import uuid6


def new_id() -> UUID:
    """A new UUIDv7; later ids compare greater, which keyset pagination relies on."""
    return UUID(str(uuid6.uuid7()))
