"""API keys of partner systems: bound to an organisation and role, stored only as a hash."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import ARRAY, Column, String
from sqlmodel import Field

from services.gateway.db import Table
from shared.columns import created_at_field, enum_field, timestamp_field
from shared.enums import Role
from shared.ids import new_id


class ApiKey(Table, table=True):
    __tablename__ = "api_key"

    id: UUID = Field(default_factory=new_id, primary_key=True)
    # The public part of the key, shown in listings and used to find the row.
    prefix: str = Field(sa_type=String(16), unique=True)
    # HMAC-SHA256 of the whole key under the server's pepper, hex.
    secret_hash: str = Field(sa_type=String(64))
    name: str | None = Field(default=None, sa_type=String(200))
    role: Role = enum_field()
    organisation_id: UUID | None = Field(default=None, index=True)
    project_id: UUID | None = None
    enterprise_id: UUID | None = None
    trainer_id: UUID | None = None
    scopes: list[str] = Field(
        default_factory=list, sa_column=Column(ARRAY(String(40)), nullable=False)
    )
    created_by: str = Field(sa_type=String(200))
    created_at: datetime = created_at_field()
    expires_at: datetime | None = timestamp_field()
    revoked_at: datetime | None = timestamp_field()
    revoked_by: str | None = Field(default=None, sa_type=String(200))
