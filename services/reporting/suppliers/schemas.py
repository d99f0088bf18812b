"""What a lead buyer (or the enterprise itself) sees of a supplier's SCORE status."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer

from services.reporting.params import Countries, Ids, ReportParams, Stages, Words, strings
from shared.decimals import plain_text
from shared.pagination import DEFAULT_LIMIT, MAX_LIMIT, PageRequest, decode_cursor


def plain(value: Decimal) -> Decimal:
    """Without an exponent or trailing zeros: 120000 rather than 1.2E+5, 5 rather than 5.00."""
    return Decimal(format(value.normalize(), "f"))


# Amounts as people write them, whatever form the event carried them in.
PlainDecimal = Annotated[
    Decimal, AfterValidator(plain), PlainSerializer(plain_text, when_used="json")
]


class ProjectStage(BaseModel):
    project_id: UUID
    project_name: str | None = Field(description="Null until the project's event has arrived")
    stage: str = Field(description="Lifecycle stage in the project (level1, level2, alumni...)")
    stage_changed_at: datetime


class ModuleCompleted(BaseModel):
    module_code: str
    completed_on: date
    cohort_id: UUID | None = Field(
        description="Null when the cohort is not one you may see (another project's)"
    )
    cohort_name: str | None


class ImprovementTeamStatus(BaseModel):
    """The Enterprise Improvement Team (EIT) as its latest event told it."""

    in_place: bool = Field(description="At least one manager and one worker are members")
    formed_on: date
    managers_female: int
    managers_male: int
    workers_female: int
    workers_male: int
    meeting_count: int
    last_meeting_on: date | None


class IndicatorChange(BaseModel):
    """One indicator's validated baseline and endline values for this enterprise."""

    indicator_code: str
    indicator_name: str
    kind: str = Field(description="yes_no | count | rate | percentage | amount | duration")
    unit: str
    direction: str = Field(description="Which way is better: up or down")
    project_id: UUID = Field(description="The project the two rounds belong to")
    project_name: str | None
    endline_round: str | None = Field(description="Name of the endline round compared")
    baseline: PlainDecimal | None = Field(description="Numeric indicators")
    endline: PlainDecimal | None = Field(description="Numeric indicators")
    change: PlainDecimal | None = Field(description="endline - baseline (numeric indicators)")
    relative_change_percent: PlainDecimal | None = Field(
        description=(
            "(endline - baseline) / |baseline| x 100, to 1 decimal; null when the baseline is 0"
        )
    )
    baseline_adopted: bool | None = Field(description="Yes/no practice indicators")
    endline_adopted: bool | None = Field(description="Yes/no practice indicators")
    improved: bool | None = Field(
        description="Moved in the desired direction; null for an indicator without one"
    )


class CompletedImprovementProject(BaseModel):
    """An improvement project the enterprise completed (savings in its own currency)."""

    title: str
    category: str
    module_code: str
    completed_on: date | None
    savings: PlainDecimal | None
    currency: str | None


class SupplierStatus(BaseModel):
    enterprise_id: UUID
    name: str
    country: str
    sector: str
    sub_sector: str | None
    projects: list[ProjectStage] = Field(description="Its stage in each project")
    modules_completed: list[ModuleCompleted] = Field(description="Oldest completion first")
    eit_in_place: bool
    improvement_team: ImprovementTeamStatus | None = Field(description="Null until formed")
    indicator_changes: list[IndicatorChange] = Field(
        description="Indicators with both a validated baseline and endline value"
    )
    improvement_projects_completed: int
    completed_improvement_projects: list[CompletedImprovementProject]
    data_as_of: dict[str, int] = Field(
        default_factory=dict,
        description="How far the read models had got in each event feed (positions)",
    )


_BUYER = (
    "See the status as this lead buyer sees it: only its consenting suppliers. "
    "A lead buyer always sees its own."
)


class SupplierFilters(BaseModel):
    """The supplier list's query: the reports' filters it supports (a supplier is one row, so
    there is no breakdown and no period) and whose suppliers (``buyer_id``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_by_name=True)

    buyer_id: UUID | None = Field(default=None, description=_BUYER)
    countries: Annotated[Countries, strings()] = Field(default_factory=tuple, alias="country")
    projects: Annotated[Ids, strings()] = Field(default_factory=tuple, alias="project")
    partners: Annotated[Ids, strings()] = Field(default_factory=tuple, alias="partner")
    sectors: Annotated[Words, strings()] = Field(default_factory=tuple, alias="sector")
    stages: Annotated[Stages, strings()] = Field(default_factory=tuple, alias="stage")
    modules: Annotated[Words, strings()] = Field(default_factory=tuple, alias="module")

    def report_params(self) -> ReportParams:
        """The filters as every report's parameters."""
        return ReportParams(
            countries=self.countries,
            projects=self.projects,
            partners=self.partners,
            sectors=self.sectors,
            stages=self.stages,
            modules=self.modules,
        )


class SuppliersParams(SupplierFilters):
    """The paged supplier list's query."""

    cursor: str | None = Field(default=None, description="Opaque cursor from `next_cursor`")
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)

    def page(self) -> PageRequest:
        return PageRequest(
            after=decode_cursor(self.cursor) if self.cursor else None, limit=self.limit
        )
