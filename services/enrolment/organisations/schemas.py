"""Organisation and project contracts."""

from datetime import date, datetime
from typing import Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from shared.enums import OrganisationKind
from shared.geo import CountryCode


class OrganisationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=2, max_length=200, examples=["Employers' Federation of Pakistan"])
    short_name: str | None = Field(default=None, max_length=40, examples=["EFP"])
    kind: OrganisationKind
    country: CountryCode | None = None


class OrganisationPublic(OrganisationCreate):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    created_at: datetime


class ProjectCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=2, max_length=200, examples=["ILES Pakistan"])
    country: CountryCode
    start_date: date | None = None
    end_date: date | None = None
    # Bounded like every list of ids a request names (each id is a query argument).
    partner_ids: list[UUID] = Field(default_factory=list, max_length=100)
    funder_ids: list[UUID] = Field(default_factory=list, max_length=100)

    @model_validator(mode="after")
    def _dates_in_order(self) -> Self:
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise PydanticCustomError(
                "date_order", "end_date ({end}) is before start_date ({start})",
                {"end": str(self.end_date), "start": str(self.start_date)},
            )  # fmt: skip
        return self


class ProjectPublic(BaseModel):
    id: UUID
    name: str
    country: str
    start_date: date | None
    end_date: date | None
    partner_ids: list[UUID]
    funder_ids: list[UUID]
    created_at: datetime
