"""A business case of an improvement project, and its photos (kept in the file store)."""

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from sqlalchemy import BigInteger, Numeric, String, Text
from sqlmodel import Field

from services.indicators.db import Table
from shared.columns import created_at_field, timestamp_field
from shared.ids import new_id


class BusinessCase(Table, table=True):
    __tablename__ = "business_case"

    id: UUID = Field(default_factory=new_id, primary_key=True)
    enterprise_id: UUID = Field(index=True)
    improvement_project_id: UUID = Field(foreign_key="improvement_project.id", index=True)
    title: str = Field(sa_type=String(200))
    problem: str = Field(sa_type=Text)
    action_taken: str = Field(sa_type=Text)
    result: str = Field(sa_type=Text)
    savings: Decimal | None = Field(default=None, sa_type=Numeric(18, 2))
    currency: str | None = Field(default=None, sa_type=String(3))
    created_at: datetime = created_at_field()
    updated_at: datetime | None = timestamp_field()


class BusinessCasePhoto(Table, table=True):
    """A photo's facts; its bytes are in the file store under ``storage_key``."""

    __tablename__ = "business_case_photo"

    id: UUID = Field(default_factory=new_id, primary_key=True)
    business_case_id: UUID = Field(foreign_key="business_case.id", index=True)
    # before | after
    stage: str = Field(sa_type=String(10))
    caption: str = Field(sa_type=String(300))
    storage_key: str = Field(sa_type=String(200), unique=True)
    content_type: str = Field(sa_type=String(100))
    size_bytes: int = Field(sa_type=BigInteger)
    sha256: str = Field(sa_type=String(64))
    file_name: str = Field(sa_type=String(200))
    created_at: datetime = created_at_field()
