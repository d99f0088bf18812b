"""Contracts of logframe targets and training cost entries."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from services.reporting.params import Codes, ReportParams, strings
from services.reporting.targets.models import Target, TrainingCost
from shared.decimals import PlainDecimal
from shared.geo import CountryCode, CurrencyCode

Metric = Annotated[
    str,
    Field(
        min_length=3,
        max_length=80,
        examples=["enterprises_trained", "impact:defect_rate"],
        description="A reach metric (see GET /targets/metrics) or 'impact:<indicator code>'",
    ),
]
Amount = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=4)]


def _period_in_order(start: date | None, end: date | None) -> None:
    if start is not None and end is not None and end < start:
        raise PydanticCustomError(
            "period_order",
            "period_end ({end}) is before period_start ({start})",
            {"start": start.isoformat(), "end": end.isoformat()},
        )


class TargetCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    project_id: UUID
    country: CountryCode | None = Field(
        default=None, description="Null: the whole project; else the project's part in a country"
    )
    metric: Metric
    period_start: date
    period_end: date
    target_value: Amount
    notes: str | None = Field(default=None, max_length=2000)

    # Declared after period_start, so info.data already holds the validated start.
    @field_validator("period_end")
    @classmethod
    def _period(cls, value: date, info: ValidationInfo) -> date:
        _period_in_order(info.data.get("period_start"), value)
        return value


class TargetUpdate(BaseModel):
    """A partial update; unspecified fields keep their value."""

    model_config = ConfigDict(extra="forbid")

    metric: Metric | None = None
    period_start: date | None = None
    period_end: date | None = None
    target_value: Amount | None = None
    notes: str | None = Field(default=None, max_length=2000)


class TargetPublic(BaseModel):
    id: UUID
    project_id: UUID
    country: str | None
    metric: str
    period_start: date
    period_end: date
    target_value: PlainDecimal
    notes: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime | None

    @classmethod
    def build(cls, target: Target) -> "TargetPublic":
        return cls.model_validate(target, from_attributes=True)


class MetricInfo(BaseModel):
    metric: str
    label: str
    kind: str = Field(description="cumulative (pro-rated to elapsed time) or rate (compared as is)")
    description: str


class CostCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    project_id: UUID
    cohort_id: UUID | None = Field(default=None, description="The cohort the cost was for")
    period_start: date
    period_end: date
    currency: CurrencyCode
    total_cost: Amount = Field(gt=0)
    non_ilo_contribution: Amount = Field(
        description="Paid by enterprises' fees, buyers, governments: anything but the ILO"
    )

    @field_validator("period_end")
    @classmethod
    def _period(cls, value: date, info: ValidationInfo) -> date:
        _period_in_order(info.data.get("period_start"), value)
        return value

    @field_validator("non_ilo_contribution")
    @classmethod
    def _within_cost(cls, value: Decimal, info: ValidationInfo) -> Decimal:
        total = info.data.get("total_cost")
        if total is not None and value > total:
            raise PydanticCustomError(
                "contribution_exceeds_cost",
                "non_ilo_contribution ({part}) cannot exceed total_cost ({total})",
                {"part": str(value), "total": str(total)},
            )
        return value


class CostPublic(BaseModel):
    id: UUID
    project_id: UUID
    cohort_id: UUID | None
    period_start: date
    period_end: date
    currency: str
    total_cost: PlainDecimal
    non_ilo_contribution: PlainDecimal
    created_by: str
    created_at: datetime

    @classmethod
    def build(cls, cost: TrainingCost) -> "CostPublic":
        return cls.model_validate(cost, from_attributes=True)


_METRICS = "Metrics"


class _Metrics(BaseModel):
    metric: Annotated[Codes, strings(_METRICS)] = Field(default_factory=tuple, description=_METRICS)


class TargetsParams(ReportParams, _Metrics):
    """Target progress's query: the common filters (project, country, from/to on the target's
    period end), and which metrics."""
