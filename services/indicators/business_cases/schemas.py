"""Business case contracts: the story of one improvement project, and its photos."""

from datetime import datetime
from enum import StrEnum
from typing import Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from services.indicators.fields import Money
from shared.decimals import PlainDecimal
from shared.geo import CurrencyCode


class PhotoStage(StrEnum):
    before = "before"
    after = "after"


class BusinessCaseState(BaseModel):
    """A business case as stored: savings carry their currency."""

    model_config = ConfigDict(extra="forbid")

    improvement_project_id: UUID = Field(
        description="The enterprise's improvement project the case tells of"
    )
    title: str = Field(min_length=2, max_length=200, examples=["Colour-coded bins cut rework"])
    problem: str = Field(min_length=2, max_length=5000, description="What was wrong before")
    action_taken: str = Field(min_length=2, max_length=5000, description="What was changed")
    result: str = Field(min_length=2, max_length=5000, description="What changed as a result")
    savings: Money | None = Field(default=None, description="Per year, in currency")
    currency: CurrencyCode | None = Field(default=None, description="ISO 4217, with savings")

    @model_validator(mode="after")
    def _money_has_currency(self) -> Self:
        if self.savings is not None and self.currency is None:
            raise PydanticCustomError(
                "required_with_amount", "an ISO 4217 currency is required with savings"
            )
        return self


class BusinessCaseCreate(BusinessCaseState):
    """A new business case, checked by the same rules as an update."""


class BusinessCaseUpdate(BaseModel):
    """A partial update; the result is judged whole."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=2, max_length=200)
    problem: str | None = Field(default=None, min_length=2, max_length=5000)
    action_taken: str | None = Field(default=None, min_length=2, max_length=5000)
    result: str | None = Field(default=None, min_length=2, max_length=5000)
    savings: Money | None = None
    currency: CurrencyCode | None = None


class PhotoPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    business_case_id: UUID
    stage: PhotoStage
    caption: str
    content_type: str
    size_bytes: int
    sha256: str = Field(description="Of the stored (re-encoded) file; also its ETag")
    file_name: str
    created_at: datetime


class BusinessCasePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    enterprise_id: UUID
    improvement_project_id: UUID | None = Field(
        description="Null for a buyer: the case is shared with it, the supplier's records not"
    )
    title: str
    problem: str
    action_taken: str
    result: str
    savings: PlainDecimal | None
    currency: str | None
    photos: list[PhotoPublic] = Field(description="Before photos first, each oldest first")
    created_at: datetime
    updated_at: datetime | None
