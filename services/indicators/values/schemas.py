"""Value capture contracts: what a batch of values looks like and what it answers, plus the
review workflow and correction history.

The batch part is the contract between the REST API, the bulk importer and the service.
"""

from datetime import date, datetime
from enum import StrEnum
from typing import Any, Literal
from uuid import UUID

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
)

from services.indicators.fields import Figure
from shared.decimals import PlainDecimal
from shared.enums import ParticipantRole, Sex
from shared.geo import CurrencyCode
from shared.schemas import Reason, SummedPart


class ValueStatus(StrEnum):
    """draft -> submitted -> validated (locked) | returned (with a reason) -> draft ...;
    validated -> withdrawn (by a reviewer, with a reason). A derived value is validated
    (computed) or not_computable (with the reason in its lineage)."""

    draft = "draft"
    submitted = "submitted"
    validated = "validated"
    returned = "returned"
    withdrawn = "withdrawn"
    not_computable = "not_computable"


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
    # Numbers for numeric indicators, true/false for yes/no practice indicators. Strictly a
    # bool: GraphQL and imports validate Python values, where a figure refused as a decimal
    # would otherwise be taken as a bool (1e-400 as false).
    value: Figure | StrictBool | None
    currency: CurrencyCode | None = Field(default=None, description="For amounts only")
    note: str | None = Field(default=None, max_length=2000)
    project_id: UUID | None = Field(
        default=None,
        description="Which project a monthly value belongs to; needed only when the enterprise "
        "is enrolled in several (a round already names its project)",
    )


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


class LineageInput(BaseModel):
    """One input a derived value was computed from: which value, in which version."""

    indicator_code: str
    value_id: UUID | None = Field(description="null when the input is the sum of its parts")
    version: int | None = Field(description="null when the input is the sum of its parts")
    value: PlainDecimal | None
    derived_from_parts: bool = Field(
        default=False,
        description="No total of the input was recorded for the period: the value is the sum "
        "of its validated parts (counts and amounts only; sex parts, or role parts of an "
        "indicator given by role only), listed in parts",
    )
    parts: list[SummedPart] = Field(
        default_factory=list, description="The parts summed, when derived_from_parts"
    )


class LineageFormula(BaseModel):
    numerator: str
    denominator: str
    multiplier: PlainDecimal


class Lineage(BaseModel):
    """Where a derived value comes from, or why it could not be computed."""

    formula: LineageFormula = Field(description="numerator / denominator x multiplier")
    formula_version: int = Field(description="The derived indicator's definition version")
    inputs: list[LineageInput] = Field(
        description="The validated input values used (those found, when not computable)"
    )
    reason: str | None = Field(
        default=None,
        description="Why no value was computed: a missing or withdrawn input, inputs in "
        "different currencies, division by zero, a result outside the indicator's bounds; "
        "null when computed",
    )


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
    value: bool | PlainDecimal | None
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
    indicator_id: UUID | None = None
    note: str | None = None
    supersedes_id: UUID | None = None
    batch_id: UUID | None = None
    derived: bool = Field(
        default=False,
        description="Computed from its formula's validated inputs; never entered or edited",
    )
    lineage: Lineage | None = Field(default=None, description="Derived values only")
    change_reason: str | None = Field(
        default=None, description="Why this version was made, when it is not a correction"
    )


class ValueUpdate(BaseModel):
    """A new value for a draft or returned value (validated ones are corrected instead).

    The figure it replaces stays in the value's history as the previous version."""

    model_config = ConfigDict(extra="forbid")

    value: Figure | StrictBool | None
    currency: CurrencyCode | None = None
    note: str | None = Field(default=None, max_length=2000)
    reason: str | None = Field(
        default=None, max_length=2000, description="Why the figure changed (kept in the history)"
    )


class ValueCorrection(BaseModel):
    """A correction of a validated value: a new version, reviewed again; the old one stays."""

    model_config = ConfigDict(extra="forbid")

    value: Figure | StrictBool | None
    currency: CurrencyCode | None = None
    reason: Reason = Field(examples=["Transcription error: the register shows 12 accidents"])
    note: str | None = Field(default=None, max_length=2000)


class ValueReturn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason = Field(examples=["Female and male headcounts look swapped"])


class ValueWithdrawal(BaseModel):
    """Taking a validated figure back: it stops counting, and values derived from it too."""

    model_config = ConfigDict(extra="forbid")

    reason: Reason = Field(examples=["Recorded for the wrong enterprise"])


class ReviewRowResult(BaseModel):
    index: int = Field(description="Position of the id in value_ids, from 0")
    value_id: UUID
    status: Literal["validated", "refused"]
    errors: list[dict[str, Any]] = Field(
        default_factory=list, description="Why it was refused: field, rule, message"
    )


class ReviewBatchResult(BaseModel):
    """Per-row validation: each value validated or refused with its reasons."""

    validated: int
    refused: int
    results: list[ReviewRowResult]
    values: list["ValuePublic"] = Field(description="The values validated")


class ValueIds(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value_ids: list[UUID] = Field(min_length=1, max_length=1000)


class ValueVersionPublic(BaseModel):
    """One version of a value: who entered it when, what it replaced, and why.

    Drafts and returned values changed in place keep their value id: each earlier figure
    is a version of its own, like a correction (a new value id) is."""

    value_id: UUID
    version: int
    status: str
    is_current: bool
    value: bool | PlainDecimal | None
    previous_value: bool | PlainDecimal | None = Field(
        description="The value of the version this one superseded (null for version 1)"
    )
    currency: str | None
    changed_by: str
    changed_at: datetime
    reason: str | None = Field(description="Why this version was made (corrections)")
    submitted_at: datetime | None
    reviewed_by: str | None
    reviewed_at: datetime | None
    return_reason: str | None
    outlier_flags: list[dict[str, Any]]
    derived: bool = False
    lineage: Lineage | None = None


class ValueTrailEntry(BaseModel):
    """A workflow step from the audit trail: submitted, validated, returned, corrected ..."""

    at: datetime
    actor: str
    action: str
    value_id: UUID
    reason: str | None


class ValueHistory(BaseModel):
    enterprise_id: UUID
    indicator_code: str
    round_id: UUID | None
    month: date | None
    sex: Sex | None
    role: ParticipantRole | None
    versions: list[ValueVersionPublic] = Field(description="Oldest first")
    trail: list[ValueTrailEntry] = Field(description="Workflow steps, oldest first")
