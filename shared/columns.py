"""Column helpers every service's table models use, so timestamps and enums look alike."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, String
from sqlmodel import Field


def utcnow() -> datetime:
    return datetime.now(UTC)


def created_at_field() -> Any:
    return Field(default_factory=utcnow, sa_type=DateTime(timezone=True), nullable=False)


def timestamp_field(*, nullable: bool = True) -> Any:
    return Field(default=None, sa_type=DateTime(timezone=True), nullable=nullable)


def enum_field(*, max_length: int = 40, index: bool = False, default: Any = ...) -> Any:
    # Enums stored as text with a check in Python: adding a value needs no ALTER TYPE.
    return Field(default=default, sa_type=String(max_length), index=index, nullable=False)
