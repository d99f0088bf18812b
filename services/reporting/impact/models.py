"""The impact report's cache of its unfiltered figures (the ILO's report over every
enterprise) and the numbers that tell whether a cached figure is current."""

from uuid import UUID

from sqlalchemy import BigInteger, Float, String
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Column, Field

from services.reporting.db import Table


class PairGeneration(Table, table=True):
    """Per indicator code, a number the projector raises in the transaction that re-pairs
    values of that indicator (``impact.repository.refresh_pairs``). Not a read model: a
    replay raises it further, never back, so a figure cached before stays out of date."""

    __tablename__ = "pair_generation"

    indicator_code: str = Field(primary_key=True, sa_type=String(60))
    generation: int = Field(sa_type=BigInteger)


class ImpactFigures(Table, table=True):
    """One indicator's impact figures over every enterprise's pairs, unfiltered, as they
    stood at ``generation`` of its pairs: used only while that is still the indicator's
    generation, computed anew (and stored) otherwise. ``indicator_id`` null: no pair."""

    __tablename__ = "impact_figures"

    indicator_code: str = Field(primary_key=True, sa_type=String(60))
    generation: int = Field(sa_type=BigInteger)
    indicator_id: UUID | None = None
    n: int | None = None
    enterprises: int | None = None
    increased: int | None = None
    decreased: int | None = None
    adopted: int | None = None
    abandoned: int | None = None
    base_zero: int | None = None
    quartiles: list[float] | None = Field(default=None, sa_column=Column(ARRAY(Float)))
    median_abs_change: float | None = None
    currency: str | None = Field(default=None, sa_type=String(3))
    yes_no_pairs: int | None = None
    practised_before: int | None = None
    practised_after: int | None = None
