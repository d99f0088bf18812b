"""Suggestion contracts: one record per suggestion, judged whole after every change."""

from datetime import date, datetime
from enum import StrEnum
from typing import Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from services.indicators.fields import Money, PastDate
from shared.decimals import PlainDecimal
from shared.enums import ParticipantRole, Sex
from shared.geo import CurrencyCode


class SuggestionStatus(StrEnum):
    submitted = "submitted"
    adopted = "adopted"
    rejected = "rejected"


class SuggestionState(BaseModel):
    """A suggestion as stored: a decision is dated, a reward or savings only for an adopted
    suggestion, and money carries its currency."""

    model_config = ConfigDict(extra="forbid")

    submitted_on: PastDate
    title: str = Field(min_length=2, max_length=200, examples=["Colour-coded bins at each line"])
    role: ParticipantRole = Field(description="The role of who suggested it")
    sex: Sex = Field(description="The sex of who suggested it")
    status: SuggestionStatus = SuggestionStatus.submitted
    decided_on: PastDate | None = Field(default=None, description="Required once decided")
    reward_paid: Money | None = Field(default=None, description="Paid to the worker; adopted only")
    savings: Money | None = Field(default=None, description="Per year; adopted only")
    currency: CurrencyCode | None = Field(default=None, description="ISO 4217, with money")
    improvement_project_id: UUID | None = Field(
        default=None, description="The enterprise's improvement project carrying it out"
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        decided = self.status is not SuggestionStatus.submitted
        if decided and self.decided_on is None:
            raise PydanticCustomError(
                "decided_on_required", "an adopted or rejected suggestion needs decided_on"
            )
        if not decided and self.decided_on is not None:
            raise PydanticCustomError(
                "only_when_decided", "decided_on is only for adopted or rejected suggestions"
            )
        if self.decided_on is not None and self.decided_on < self.submitted_on:
            raise PydanticCustomError("date_order", "decided_on is before submitted_on")
        money = [n for n in ("reward_paid", "savings") if getattr(self, n) is not None]
        if money and self.status is not SuggestionStatus.adopted:
            raise PydanticCustomError(
                "only_when_adopted", "reward_paid and savings are only for adopted suggestions"
            )
        if money and self.currency is None:
            raise PydanticCustomError(
                "required_with_amount", "an ISO 4217 currency is required with reward or savings"
            )
        return self


class SuggestionCreate(SuggestionState):
    """A new suggestion, checked by the same rules as an update."""


class SuggestionUpdate(BaseModel):
    """A partial update (typically the decision); the result is judged whole."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=2, max_length=200)
    status: SuggestionStatus | None = None
    decided_on: PastDate | None = None
    reward_paid: Money | None = None
    savings: Money | None = None
    currency: CurrencyCode | None = None
    improvement_project_id: UUID | None = None


class SuggestionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    enterprise_id: UUID
    submitted_on: date
    title: str
    role: ParticipantRole
    sex: Sex
    status: SuggestionStatus
    decided_on: date | None
    reward_paid: PlainDecimal | None
    savings: PlainDecimal | None
    currency: str | None
    improvement_project_id: UUID | None
    created_at: datetime
    updated_at: datetime | None


class SuggestionScheme(BaseModel):
    """The register summed up: the yes/no "suggestion scheme in place" indicator follows from
    it (in place once a suggestion was adopted and its worker rewarded)."""

    enterprise_id: UUID
    submitted: int
    adopted: int
    rejected: int
    rewarded: int = Field(description="Adopted suggestions whose worker was paid a reward")
    adopted_by_sex: dict[Sex, int]
    in_place: bool = Field(description="At least one adopted suggestion was rewarded")
    savings_by_currency: dict[str, PlainDecimal]
    rewards_by_currency: dict[str, PlainDecimal]
