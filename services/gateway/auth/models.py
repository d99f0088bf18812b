"""Rate-limit buckets shared by every gateway replica."""

from datetime import datetime

from sqlalchemy import Float, Integer, String
from sqlmodel import Field

from services.gateway.db import Table
from shared.columns import timestamp_field


class RateLimitBucket(Table, table=True):
    """One caller's token bucket: what was left when it was last counted."""

    __tablename__ = "rate_limit_bucket"

    # What the limit counts against: "key:<id>" for an API key, the subject of a token.
    caller: str = Field(sa_type=String(200), primary_key=True)
    tokens: float = Field(sa_type=Float)
    # Tokens the latest reservation took (a replica's lease), read back by that statement.
    granted: int = Field(sa_type=Integer)
    counted_at: datetime = timestamp_field(nullable=False)
