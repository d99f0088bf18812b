"""A project's review rule: four eyes unless turned off, by a recorded decision."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import String
from sqlmodel import Field

from services.indicators.db import Table
from shared.columns import created_at_field


class ReviewPolicy(Table, table=True):
    """A project's review rule: four eyes (the default) or, audited, one pair of eyes."""

    __tablename__ = "review_policy"

    project_id: UUID = Field(primary_key=True)
    four_eyes: bool
    reason: str = Field(sa_type=String(2000))
    changed_by: str = Field(sa_type=String(200))
    changed_at: datetime = created_at_field()
