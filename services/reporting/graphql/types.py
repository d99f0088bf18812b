"""GraphQL types of the reporting subgraph: the Enterprise entity's score status and impact,
and the root reports' shapes, built from the services' results by ``from_*`` constructors.

Type names differ from the other subgraphs' (the gateway would have to merge them);
``LifecycleStage`` is enrolment's enum with the same values, which the gateway merges.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Self
from uuid import UUID

import strawberry

from services.reporting.graphql.context import GraphQLContext
from services.reporting.graphql.loaders import ScoreStatusRow
from services.reporting.impact.schemas import ImpactExplanation as ImpactExplanationModel
from services.reporting.impact.schemas import MatchedPair, PairSide
from services.reporting.params import Dimension, PeriodGrain
from services.reporting.report import ReportColumn as ReportColumnModel
from services.reporting.report import ReportTable
from services.reporting.suppliers.schemas import IndicatorChange as IndicatorChangeModel
from services.reporting.suppliers.schemas import ModuleCompleted, ProjectStage
from shared import enums
from shared.graphql import list_size, parse_id
from shared.schemas import SummedPart

Info = strawberry.Info[GraphQLContext, None]

strawberry.enum(enums.LifecycleStage)
ReportDimension = strawberry.enum(
    Dimension, name="ReportDimension", description="What a report can be broken down by"
)
ReportPeriodGrain = strawberry.enum(
    PeriodGrain, name="ReportPeriodGrain", description="How period rows are cut"
)


def _id(value: Any) -> strawberry.ID:
    return strawberry.ID(str(value))


def _optional_id(value: Any) -> strawberry.ID | None:
    return None if value is None else _id(value)


@strawberry.input(description="Filters shared by the reports; values of one field are alternatives")
class ReportFilter:
    module: list[str] | None = strawberry.field(default=None, description="Module codes")
    country: list[str] | None = strawberry.field(default=None, description="ISO 3166 alpha-2")
    project: list[strawberry.ID] | None = None
    partner: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Implementation partner organisation ids"
    )
    sector: list[str] | None = None
    stage: list[enums.LifecycleStage] | None = None
    date_from: date | None = strawberry.field(default=None, name="from", description="First day")
    date_to: date | None = strawberry.field(default=None, name="to", description="Last day")

    def raw(self) -> dict[str, list[str] | str]:
        """As the reports' query parameters."""
        raw: dict[str, list[str] | str] = {}
        lists: dict[str, list[Any] | None] = {
            "module": self.module,
            "country": self.country,
            "project": self.project,
            "partner": self.partner,
            "sector": self.sector,
            "stage": self.stage,
        }
        for name, values in lists.items():
            if values:
                raw[name] = [str(getattr(v, "value", v)) for v in values]
        if self.date_from is not None:
            raw["from"] = self.date_from.isoformat()
        if self.date_to is not None:
            raw["to"] = self.date_to.isoformat()
        return raw


# --- the Enterprise entity's fields ---------------------------------------------------------


@strawberry.type(description="An enterprise's stage in one project")
class ScoreStage:
    project_id: strawberry.ID
    project_name: str | None
    stage: enums.LifecycleStage
    stage_changed_at: datetime

    @classmethod
    def from_model(cls, stage: ProjectStage) -> Self:
        return cls(
            project_id=_id(stage.project_id),
            project_name=stage.project_name,
            stage=enums.LifecycleStage(stage.stage),
            stage_changed_at=stage.stage_changed_at,
        )


@strawberry.type(description="A SCORE module the enterprise completed")
class CompletedModule:
    module_code: str
    completed_on: date
    cohort_id: strawberry.ID | None = strawberry.field(
        description="Null when the cohort is not one you may see (another project's)"
    )
    cohort_name: str | None

    @classmethod
    def from_model(cls, module: ModuleCompleted) -> Self:
        return cls(
            module_code=module.module_code,
            completed_on=module.completed_on,
            cohort_id=_optional_id(module.cohort_id),
            cohort_name=module.cohort_name,
        )


@strawberry.type(description="Where an enterprise stands in SCORE: stages, modules, EIT")
class ScoreStatus:
    projects: list[ScoreStage] = strawberry.field(description="Its stage in each project")
    modules_completed: list[CompletedModule] = strawberry.field(
        description="Oldest completion first"
    )
    eit_in_place: bool = strawberry.field(
        description="Its Enterprise Improvement Team has at least one manager and one worker"
    )
    eit_formed_on: date | None
    improvement_projects_completed: int
    suggestions_adopted: int = strawberry.field(description="Adopted suggestions of its scheme")
    improvement_plans_completed: int = strawberry.field(
        description="Its Enterprise Improvement Plans completed"
    )

    @classmethod
    def from_row(cls, row: ScoreStatusRow) -> Self:
        team = row.improvement_team
        return cls(
            projects=[ScoreStage.from_model(stage) for stage in row.projects],
            modules_completed=[CompletedModule.from_model(m) for m in row.modules_completed],
            eit_in_place=team is not None and team.in_place,
            eit_formed_on=team.formed_on if team is not None else None,
            improvement_projects_completed=row.improvement_projects_completed,
            suggestions_adopted=row.suggestions_adopted,
            improvement_plans_completed=row.improvement_plans_completed,
        )


@strawberry.type(description="One indicator's validated baseline and endline for an enterprise")
class IndicatorChange:
    indicator_code: str
    indicator_name: str
    kind: str
    unit: str
    direction: str = strawberry.field(description="Which way is better: up or down")
    project_id: strawberry.ID
    endline_round: str | None
    baseline: Decimal | None = strawberry.field(description="Numeric indicators")
    endline: Decimal | None = strawberry.field(description="Numeric indicators")
    change: Decimal | None = strawberry.field(description="endline - baseline")
    relative_change_percent: Decimal | None = strawberry.field(
        description="(endline - baseline) / |baseline| x 100, to 1 decimal; null for a 0 baseline"
    )
    baseline_adopted: bool | None = strawberry.field(description="Yes/no practice indicators")
    endline_adopted: bool | None = strawberry.field(description="Yes/no practice indicators")
    improved: bool | None = strawberry.field(description="Moved in the desired direction")

    @classmethod
    def from_model(cls, change: IndicatorChangeModel) -> Self:
        return cls(
            indicator_code=change.indicator_code,
            indicator_name=change.indicator_name,
            kind=change.kind,
            unit=change.unit,
            direction=change.direction,
            project_id=_id(change.project_id),
            endline_round=change.endline_round,
            baseline=change.baseline,
            endline=change.endline,
            change=change.change,
            relative_change_percent=change.relative_change_percent,
            baseline_adopted=change.baseline_adopted,
            endline_adopted=change.endline_adopted,
            improved=change.improved,
        )


async def _score_status(root: "Enterprise", info: Info) -> ScoreStatus | None:
    enterprise_id = UUID(root.id)
    loaders = info.context.loaders
    if not await loaders.enterprise.load(enterprise_id):
        return None
    return ScoreStatus.from_row(await loaders.score_status.load(enterprise_id))


async def _impact(root: "Enterprise", info: Info) -> list[IndicatorChange] | None:
    enterprise_id = UUID(root.id)
    loaders = info.context.loaders
    if not await loaders.enterprise.load(enterprise_id):
        return None
    changes = await loaders.impact.load(enterprise_id)
    return [IndicatorChange.from_model(change) for change in changes]


# No description: the entity's owner (enrolment) describes it in the composed graph.
@strawberry.federation.type(keys=["id"])
class Enterprise:
    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Self:
        # The entity always resolves, so the other subgraphs' fields of an enterprise
        # the caller sees elsewhere survive; this subgraph's fields are null when
        # reporting's tenancy hides it (a lead buyer without the supplier's consent).
        return cls(id=_id(parse_id(id, "id")))

    score_status: ScoreStatus | None = strawberry.field(
        resolver=_score_status,
        description=(
            "Its SCORE status: stage per project, modules completed, EIT in place; null "
            "when not yours to see (for a lead buyer: without the supplier's consent)"
        ),
    )
    impact: list[IndicatorChange] | None = strawberry.field(
        resolver=_impact,
        description=(
            "Per indicator, its validated baseline against endline (matched pairs); null "
            "when not yours to see"
        ),
    )


# --- the root reports -------------------------------------------------------------------


@strawberry.type(description="A report column: its key in the rows, label and kind")
class ReportColumn:
    key: str
    label: str
    kind: str = strawberry.field(description="dimension | integer | percent | number | text | date")
    description: str | None

    @classmethod
    def from_model(cls, column: ReportColumnModel) -> Self:
        return cls(
            key=column.key,
            label=column.label,
            kind=column.kind.value,
            description=column.description,
        )


@strawberry.type(description="A filter the report applied")
class AppliedFilter:
    name: str
    values: list[str]


@strawberry.type(description="How far the read models had got in one producer's event feed")
class FeedPosition:
    feed: str
    position: int


def _applied(filters: dict[str, Any]) -> list[AppliedFilter]:
    return [
        AppliedFilter(
            name=name,
            values=[str(v) for v in value] if isinstance(value, list | tuple) else [str(value)],
        )
        for name, value in filters.items()
    ]


def _positions(data_as_of: dict[str, int]) -> list[FeedPosition]:
    return [FeedPosition(feed=feed, position=position) for feed, position in data_as_of.items()]


@strawberry.type(description="One indicator's matched-pair figures in one group")
class ImpactRow:
    module: str | None
    country: str | None
    project_id: strawberry.ID | None
    project: str | None
    partner_id: strawberry.ID | None
    partner: str | None
    sector: str | None
    period: str | None
    stage: str | None
    sex: str | None = strawberry.field(
        description=(
            "female, male, other or not_disclosed, with groupBy SEX (the part of a "
            "sex-disaggregated indicator)"
        )
    )
    indicator: str | None = strawberry.field(description="Indicator code")
    indicator_name: str | None
    unit: str | None
    direction: str | None
    n: int | None = strawberry.field(description="Matched pairs; null when suppressed")
    improved: int | None
    improved_pct: float | None
    base_zero_excluded: int | None
    q1_change_pct: float | None
    median_change_pct: float | None
    q3_change_pct: float | None
    median_abs_change: float | None
    currency: str | None
    adoption_before_pct: float | None
    adoption_after_pct: float | None
    suppressed: bool
    suppression_reason: str | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Self:
        return cls(
            module=row.get("module"),
            country=row.get("country"),
            project_id=_optional_id(row.get("project_id")),
            project=row.get("project"),
            partner_id=_optional_id(row.get("partner_id")),
            partner=row.get("partner"),
            sector=row.get("sector"),
            period=row.get("period"),
            stage=row.get("stage"),
            sex=row.get("sex"),
            indicator=row.get("indicator"),
            indicator_name=row.get("indicator_name"),
            unit=row.get("unit"),
            direction=row.get("direction"),
            n=row.get("n"),
            improved=row.get("improved"),
            improved_pct=row.get("improved_pct"),
            base_zero_excluded=row.get("base_zero_excluded"),
            q1_change_pct=row.get("q1_change_pct"),
            median_change_pct=row.get("median_change_pct"),
            q3_change_pct=row.get("q3_change_pct"),
            median_abs_change=row.get("median_abs_change"),
            currency=row.get("currency"),
            adoption_before_pct=row.get("adoption_before_pct"),
            adoption_after_pct=row.get("adoption_after_pct"),
            suppressed=bool(row.get("suppressed")),
            suppression_reason=row.get("suppression_reason"),
        )


@strawberry.type(description="The impact report: matched-pair figures per indicator and group")
class ImpactReport:
    title: str
    method: str = strawberry.field(description="How every figure is computed, in words")
    filters: list[AppliedFilter]
    group_by: list[str]
    columns: list[ReportColumn]
    rows: list[ImpactRow] = strawberry.field(directives=[list_size(assumed=200)])
    min_group_size: int | None = strawberry.field(
        description="Groups smaller than this are suppressed for you; null: none are"
    )
    suppressed_rows: int
    generated_at: datetime
    data_as_of: list[FeedPosition]

    @classmethod
    def from_table(cls, table: ReportTable) -> Self:
        return cls(
            title=table.title,
            method=table.method,
            filters=_applied(table.filters),
            group_by=list(table.group_by),
            columns=[ReportColumn.from_model(column) for column in table.columns],
            rows=[ImpactRow.from_row(row) for row in table.rows],
            min_group_size=table.min_group_size,
            suppressed_rows=table.suppressed_rows,
            generated_at=table.generated_at,
            data_as_of=_positions(table.data_as_of),
        )


@strawberry.type(description="A headline impact figure: one indicator over the whole selection")
class HeadlineImpact:
    indicator: str | None
    indicator_name: str | None
    unit: str | None
    direction: str | None
    n: int | None = strawberry.field(description="Matched pairs behind the figure")
    improved_pct: float | None = strawberry.field(description="% of enterprises improved")
    median_change_pct: float | None
    adoption_before_pct: float | None
    adoption_after_pct: float | None
    suppressed: bool
    suppression_reason: str | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Self:
        return cls(
            indicator=row.get("indicator"),
            indicator_name=row.get("indicator_name"),
            unit=row.get("unit"),
            direction=row.get("direction"),
            n=row.get("n"),
            improved_pct=row.get("improved_pct"),
            median_change_pct=row.get("median_change_pct"),
            adoption_before_pct=row.get("adoption_before_pct"),
            adoption_after_pct=row.get("adoption_after_pct"),
            suppressed=bool(row.get("suppressed")),
            suppression_reason=row.get("suppression_reason"),
        )


@strawberry.type(description="Programme figures over the enterprises you may see")
class ProgrammeSummary:
    enterprises_trained: int | None = strawberry.field(
        description="Distinct enterprises with a module completed"
    )
    enterprises_participating: int | None
    workers_benefiting: int | None = strawberry.field(
        description="Total workforce of the participating enterprises"
    )
    participants: int | None
    participants_female: int | None
    participants_male: int | None
    participants_other_sex: int | None = strawberry.field(
        description="Another sex or gender identity"
    )
    participants_sex_not_disclosed: int | None = strawberry.field(
        description="With women, men and another sex, adds up to the participants"
    )
    share_women_pct: float | None
    trainers_certified: int | None
    trainers_female: int | None
    trainers_male: int | None
    trainers_other_sex: int | None
    trainers_sex_not_disclosed: int | None
    satisfaction_ratings: int | None = strawberry.field(description="n of the satisfaction rate")
    satisfaction_rate_pct: float | None = strawberry.field(description="Ratings of 4 or 5 of 5")
    events_held: int | None = strawberry.field(
        description="Mobilisation events, alumni network meetings ... held, not cancelled"
    )
    event_enterprises: int | None = strawberry.field(
        description="Distinct enterprises whose people attended them"
    )
    event_attendees: int | None
    event_attendees_female: int | None
    event_attendees_male: int | None
    event_attendees_other_sex: int | None
    event_attendees_sex_not_disclosed: int | None = strawberry.field(
        description="With women, men and another sex, adds up to the event attendees"
    )
    improvement_plans_completed: int | None = strawberry.field(
        description="Enterprise Improvement Plans completed"
    )
    suggestions_adopted: int | None = strawberry.field(
        description="Workers' suggestions adopted by the enterprises' schemes"
    )
    headline_impact: list[HeadlineImpact] = strawberry.field(
        description="Per indicator over all matched pairs, each with its n"
    )
    suppression_reason: str | None = strawberry.field(
        description="Why some reach figures are empty (too few enterprises behind them)"
    )
    filters: list[AppliedFilter]
    reach_method: str
    impact_method: str
    min_group_size: int | None
    generated_at: datetime
    data_as_of: list[FeedPosition]

    @classmethod
    def from_tables(cls, reach: ReportTable, impact: ReportTable) -> Self:
        # No breakdown: the reach report has one row, or none when nothing was recorded
        # (every count is then 0); a suppressed count is null.
        row = reach.rows[0] if reach.rows else {}

        def count(key: str) -> int | None:
            return row.get(key) if reach.rows else 0

        return cls(
            enterprises_trained=count("enterprises_trained"),
            enterprises_participating=count("enterprises_participating"),
            workers_benefiting=count("workers_benefiting"),
            participants=count("participants"),
            participants_female=count("participants_female"),
            participants_male=count("participants_male"),
            participants_other_sex=count("participants_other_sex"),
            participants_sex_not_disclosed=count("participants_sex_not_disclosed"),
            share_women_pct=row.get("share_women_pct"),
            trainers_certified=count("trainers_certified"),
            trainers_female=count("trainers_female"),
            trainers_male=count("trainers_male"),
            trainers_other_sex=count("trainers_other_sex"),
            trainers_sex_not_disclosed=count("trainers_sex_not_disclosed"),
            satisfaction_ratings=count("ratings"),
            satisfaction_rate_pct=row.get("satisfaction_rate_pct"),
            events_held=count("events_held"),
            event_enterprises=count("event_enterprises"),
            event_attendees=count("event_attendees"),
            event_attendees_female=count("event_attendees_female"),
            event_attendees_male=count("event_attendees_male"),
            event_attendees_other_sex=count("event_attendees_other_sex"),
            event_attendees_sex_not_disclosed=count("event_attendees_sex_not_disclosed"),
            improvement_plans_completed=count("improvement_plans_completed"),
            suggestions_adopted=count("suggestions_adopted"),
            headline_impact=[HeadlineImpact.from_row(r) for r in impact.rows],
            suppression_reason=row.get("suppression_reason"),
            filters=_applied(reach.filters),
            reach_method=reach.method,
            impact_method=impact.method,
            min_group_size=reach.min_group_size,
            generated_at=reach.generated_at,
            data_as_of=_positions(reach.data_as_of),
        )


# --- explain a figure ------------------------------------------------------------------------


@strawberry.type(description="A validated part a side of a matched pair is the sum of")
class ImpactPairPart:
    value_id: strawberry.ID = strawberry.field(description="The value in the indicators service")
    version: int = strawberry.field(description="The latest validated version of its slot")
    part: str = strawberry.field(description="The sex or role part")
    value: Decimal

    @classmethod
    def from_model(cls, part: SummedPart) -> Self:
        return cls(
            value_id=_id(part.value_id), version=part.version, part=part.part, value=part.value
        )


@strawberry.type(description="One side of a matched pair: the validated value counted")
class ImpactPairSide:
    value_id: strawberry.ID | None = strawberry.field(
        description="The value in the indicators service; null when derived from parts"
    )
    version: int | None = strawberry.field(
        description="The latest validated version of its slot; null when derived from parts"
    )
    value: Decimal | None = strawberry.field(description="Numeric indicators")
    value_bool: bool | None = strawberry.field(description="Yes/no practice indicators")
    derived_from_parts: bool = strawberry.field(
        description="No total was recorded for the round: the sum of its validated parts "
        "(counts and amounts only; sex parts, or role parts of an indicator given by role "
        "only), listed in parts"
    )
    parts: list[ImpactPairPart] = strawberry.field(
        description="The parts summed, when derivedFromParts"
    )

    @classmethod
    def from_model(cls, side: PairSide) -> Self:
        flag = side.value if isinstance(side.value, bool) else None
        return cls(
            value_id=_optional_id(side.value_id),
            version=side.version,
            value=None if flag is not None else side.value,  # type: ignore[arg-type]
            value_bool=flag,
            derived_from_parts=side.derived_from_parts,
            parts=[ImpactPairPart.from_model(part) for part in side.parts],
        )


@strawberry.type(description="A matched pair behind an impact figure")
class ImpactPair:
    enterprise_id: strawberry.ID
    enterprise_name: str | None
    project_id: strawberry.ID
    sex: str | None = strawberry.field(description="The sex part paired; null: the total")
    baseline: ImpactPairSide
    endline: ImpactPairSide
    change: Decimal | None = strawberry.field(description="endline - baseline")
    relative_change_pct: Decimal | None = strawberry.field(
        description="(endline - baseline) / |baseline| x 100, 1 decimal; null for a 0 baseline"
    )
    improved: bool | None = strawberry.field(description="Moved in the desired direction")

    @classmethod
    def from_model(cls, pair: MatchedPair) -> Self:
        return cls(
            enterprise_id=_id(pair.enterprise_id),
            enterprise_name=pair.enterprise_name,
            project_id=_id(pair.project_id),
            sex=pair.sex,
            baseline=ImpactPairSide.from_model(pair.baseline),
            endline=ImpactPairSide.from_model(pair.endline),
            change=pair.change,
            relative_change_pct=pair.relative_change_pct,
            improved=pair.improved,
        )


@strawberry.type(description="The matched pairs behind one impact figure")
class ImpactExplanation:
    indicator: str
    filters: list[AppliedFilter]
    n: int = strawberry.field(description="Matched pairs: the figure's n")
    improved: int = strawberry.field(description="Of them, improved in the desired direction")
    pairs: list[ImpactPair]
    method: str

    @classmethod
    def from_model(cls, explanation: ImpactExplanationModel) -> Self:
        return cls(
            indicator=explanation.indicator,
            filters=_applied(explanation.filters),
            n=explanation.n,
            improved=explanation.improved,
            pairs=[ImpactPair.from_model(pair) for pair in explanation.pairs],
            method=explanation.method,
        )
