"""Value capture contracts: what a batch of values looks like and what it answers.

This is the contract between the REST API, the bulk importer and the service.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from shared.enums import ParticipantRole, Sex
from shared.geo import CurrencyCode


class ValueIn(BaseModel):
    """One value for one enterprise, indicator, period and disaggregation."""

    model_config = ConfigDict(extra="forbid")

    enterprise_id: UUID
    indicator_code: str = Field(min_length=1, max_length=60, examples=["defect_rate"])
    # Exactly one of round_id (baseline / endline / follow-up) or month must be given.
    round_id: UUID | None = None
    month: date | None = Field(default=None, description="Any day of the month; stored as day 1")
    sex: Sex | None = Field(default=None, description="null: the total over both sexes")
    role: ParticipantRole | None = Field(default=None, description="null: all roles")
    # Numbers for numeric indicators, true/false for yes/no practice indicators.
    value: Decimal | bool | None
    currency: CurrencyCode | None = Field(default=None, description="For amounts only")
    note: str | None = Field(default=None, max_length=2000)


class ValueBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    values: list[ValueIn] = Field(min_length=1, max_length=100_000)
    # Submit for review straight away (else the values stay drafts the enterer can change).
    submit: bool = False


class RowResult(BaseModel):
    index: int = Field(description="Position of the value in the batch, from 0")
    status: Literal["accepted", "rejected"]
    value_id: UUID | None = None
    errors: list[dict[str, Any]] = Field(
        default_factory=list, description="Problem-details field errors: field, rule, message"
    )
    outlier_flags: list[dict[str, Any]] = Field(default_factory=list)


class BatchResult(BaseModel):
    batch_id: UUID
    dry_run: bool
    accepted: int
    rejected: int
    flagged_outliers: int
    results: list[RowResult]


class ValuePublic(BaseModel):
    id: UUID
    enterprise_id: UUID
    project_id: UUID
    indicator_code: str
    indicator_version: int
    round_id: UUID | None
    month: date | None
    sex: Sex | None
    role: ParticipantRole | None
    value: Decimal | bool | None
    currency: str | None
    status: str
    version: int
    is_current: bool
    outlier_flags: list[dict[str, Any]]
    correction_reason: str | None
    return_reason: str | None
    entered_by: str
    entered_at: datetime
    submitted_at: datetime | None
    reviewed_by: str | None
    reviewed_at: datetime | None
