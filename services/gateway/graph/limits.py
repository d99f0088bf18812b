"""Limits every GraphQL operation must pass before the gateway calls any subgraph."""

from pydantic import BaseModel, Field


class GraphLimits(BaseModel):
    """Configured as ``SCORE_GATEWAY_GRAPHQL__<NAME>`` (for example ``..._MAX_DEPTH=12``)."""

    max_body_bytes: int = Field(default=100_000, gt=0)
    max_tokens: int = Field(default=5_000, gt=0)
    max_depth: int = Field(default=12, gt=0)
    max_aliases: int = Field(default=30, ge=0)
    max_root_fields: int = Field(default=20, gt=0)
    # Estimated cost: each field costs 1, multiplied by the page size of enclosing lists.
    max_cost: int = Field(default=50_000, gt=0)
    # Introspection for everyone (development); otherwise only callers with the admin scope.
    introspection: bool = False
