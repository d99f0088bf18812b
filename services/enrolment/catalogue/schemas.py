"""Module catalogue contracts."""

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

ModuleCode = Annotated[
    str,
    Field(min_length=2, max_length=40, pattern=r"^[a-z0-9_]+$", examples=["workplace_cooperation"]),
]


class ModuleCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: ModuleCode
    name: str = Field(min_length=2, max_length=200, examples=["Workplace Cooperation"])
    level: int = Field(
        ge=1, le=2, description="1: the Level 1 short course; 2: full-package modules"
    )
    classroom_days: int = Field(default=2, ge=1, le=10)
    active: bool = True
    replaced_by_code: ModuleCode | None = None


class ModuleUpdate(BaseModel):
    """A partial update; the code is the module's identity and never changes."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=2, max_length=200)
    level: int | None = Field(default=None, ge=1, le=2)
    classroom_days: int | None = Field(default=None, ge=1, le=10)
    active: bool | None = None
    replaced_by_code: ModuleCode | None = None


class ModulePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    code: str
    name: str
    level: int
    classroom_days: int
    active: bool
    replaced_by_code: str | None
    created_at: datetime
