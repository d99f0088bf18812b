"""GraphQL types of the indicators subgraph, built from table rows by ``from_row``."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Self
from uuid import UUID

import strawberry

from services.indicators.catalogue.models import Indicator as IndicatorRow
from services.indicators.graphql.context import GraphQLContext
from services.indicators.graphql.loaders import ValueFilter, ValueRow
from services.indicators.improvement_plans.schemas import PlanPublic
from services.indicators.improvement_projects.models import (
    ImprovementProject as ImprovementProjectRow,
)
from services.indicators.improvement_projects.schemas import ProjectPublic
from services.indicators.rounds.models import MeasurementRound as MeasurementRoundRow
from services.indicators.rounds.schemas import RoundPublic
from services.indicators.satisfaction.repository import SatisfactionTally
from services.indicators.suggestions.schemas import SuggestionScheme
from services.indicators.suggestions.service import scheme_of
from services.indicators.teams.repository import MembersOf, TeamSummary
from shared import enums
from shared.graphql import list_size, parse_choice, parse_id

Info = strawberry.Info[GraphQLContext, None]

# Vocabularies the tables keep as strings; arguments outside them are bad input, not
# a silently empty answer.
VALUE_STATUSES = ("draft", "submitted", "validated", "returned", "withdrawn", "not_computable")
PROJECT_STATUSES = ("planned", "in_progress", "completed", "abandoned")
INDICATOR_KINDS = ("yes_no", "count", "rate", "percentage", "amount", "duration")

# Registered as they are, so GraphQL speaks the same values as REST and the events.
strawberry.enum(enums.Sex)
strawberry.enum(enums.ParticipantRole)


def _id(value: UUID) -> strawberry.ID:
    return strawberry.ID(str(value))


def _optional_id(value: UUID | None) -> strawberry.ID | None:
    return None if value is None else _id(value)


@strawberry.type(description="How a derived indicator is computed: numerator / denominator x n")
class IndicatorFormula:
    numerator: str = strawberry.field(description="Indicator code")
    denominator: str = strawberry.field(description="Indicator code")
    multiplier: Decimal

    @classmethod
    def from_json(cls, formula: dict[str, Any] | None) -> Self | None:
        if not formula:
            return None
        return cls(
            numerator=formula["numerator"],
            denominator=formula["denominator"],
            multiplier=Decimal(str(formula["multiplier"])),
        )


@strawberry.type(description="A validated part summed into an input that has no total")
class LineagePart:
    value_id: strawberry.ID
    version: int
    part: str = strawberry.field(description="The sex or role part")
    value: Decimal


@strawberry.type(description="An input a derived value was computed from")
class LineageInput:
    indicator_code: str
    value_id: strawberry.ID | None = strawberry.field(
        description="null when the input is the sum of its parts"
    )
    version: int | None = strawberry.field(
        description="null when the input is the sum of its parts"
    )
    value: Decimal | None
    derived_from_parts: bool = strawberry.field(
        description="No total was recorded: the input is the sum of its validated parts"
    )
    parts: list[LineagePart] = strawberry.field(description="The parts summed, if any")


@strawberry.type(description="Where a derived value comes from, or why it was not computed")
class ValueLineage:
    formula: IndicatorFormula
    formula_version: int = strawberry.field(description="The derived indicator's version")
    inputs: list[LineageInput] = strawberry.field(description="The validated inputs used")
    reason: str | None = strawberry.field(
        description="Why no value: a missing or withdrawn input, inputs in different "
        "currencies, division by zero, out of bounds"
    )

    @classmethod
    def from_json(cls, lineage: dict[str, Any] | None) -> Self | None:
        formula = IndicatorFormula.from_json(lineage.get("formula")) if lineage else None
        if lineage is None or formula is None:
            return None
        return cls(
            formula=formula,
            formula_version=lineage["formula_version"],
            inputs=[
                LineageInput(
                    indicator_code=item["indicator_code"],
                    value_id=None if item["value_id"] is None else strawberry.ID(item["value_id"]),
                    version=item["version"],
                    value=None if item["value"] is None else Decimal(item["value"]),
                    derived_from_parts=item.get("derived_from_parts", False),
                    parts=[
                        LineagePart(
                            value_id=strawberry.ID(part["value_id"]),
                            version=part["version"],
                            part=part["part"],
                            value=Decimal(part["value"]),
                        )
                        for part in item.get("parts", [])
                    ],
                )
                for item in lineage.get("inputs", [])
            ],
            reason=lineage.get("reason"),
        )


@strawberry.type(description="An indicator definition from the catalogue")
class Indicator:
    id: strawberry.ID
    code: str
    version: int = strawberry.field(description="Current version of the definition")
    name_en: str
    name_fr: str
    name_es: str
    kind: str = strawberry.field(
        description="yes_no | count | rate | percentage | amount | duration"
    )
    unit: str
    direction: str = strawberry.field(description="Which way is better: up or down")
    min_value: Decimal | None
    max_value: Decimal | None
    module_code: str | None
    disaggregations: list[str] = strawberry.field(
        description="Which parts a value must be given in: sex, role"
    )
    description: str | None
    active: bool
    formula: IndicatorFormula | None = strawberry.field(
        description="Derived indicators only: computed from two others, never entered"
    )

    @classmethod
    def from_row(cls, row: IndicatorRow) -> Self:
        return cls(
            id=_id(row.id),
            code=row.code,
            version=row.version,
            name_en=row.name_en,
            name_fr=row.name_fr,
            name_es=row.name_es,
            kind=row.kind,
            unit=row.unit,
            direction=row.direction,
            min_value=row.min_value,
            max_value=row.max_value,
            module_code=row.module_code,
            disaggregations=list(row.disaggregations),
            description=row.description,
            active=row.active,
            formula=IndicatorFormula.from_json(row.formula),
        )


@strawberry.type(description="A project's baseline, endline or follow-up measurement")
class MeasurementRound:
    id: strawberry.ID
    project_id: strawberry.ID
    kind: str = strawberry.field(description="baseline | endline | follow_up")
    sequence: int
    name: str
    starts_on: date
    ends_on: date

    @classmethod
    def from_row(cls, row: MeasurementRoundRow | RoundPublic) -> Self:
        return cls(
            id=_id(row.id),
            project_id=_id(row.project_id),
            kind=row.kind,
            sequence=row.sequence,
            name=row.name,
            starts_on=row.starts_on,
            ends_on=row.ends_on,
        )


@strawberry.type(description="One version of one captured indicator value")
class IndicatorValue:
    id: strawberry.ID
    enterprise_id: strawberry.ID
    project_id: strawberry.ID
    indicator: Indicator
    indicator_code: str
    indicator_version: int = strawberry.field(
        description="The definition version the value was judged by"
    )
    round_id: strawberry.ID | None = strawberry.field(description="Null for monthly values")
    month: date | None = strawberry.field(description="First day of the month, if monthly")
    sex: enums.Sex | None = strawberry.field(description="Null: the total over both sexes")
    role: enums.ParticipantRole | None = strawberry.field(description="Null: all roles")
    value: Decimal | None = strawberry.field(description="For numeric indicators")
    value_bool: bool | None = strawberry.field(description="For yes/no practice indicators")
    currency: str | None
    status: str = strawberry.field(
        description="draft | submitted | validated | returned | withdrawn; derived values: "
        "validated | not_computable"
    )
    version: int
    is_current: bool
    outlier_flagged: bool
    correction_reason: str | None
    return_reason: str | None
    entered_by: str
    entered_at: datetime
    submitted_at: datetime | None
    reviewed_by: str | None
    reviewed_at: datetime | None
    derived: bool = strawberry.field(
        description="Computed from its formula's validated inputs; never entered or edited"
    )
    lineage: ValueLineage | None = strawberry.field(description="Derived values only")

    @classmethod
    def from_row(cls, row: ValueRow) -> Self:
        value, indicator = row
        return cls(
            id=_id(value.id),
            enterprise_id=_id(value.enterprise_id),
            project_id=_id(value.project_id),
            indicator=Indicator.from_row(indicator),
            indicator_code=indicator.code,
            indicator_version=value.indicator_version,
            round_id=_optional_id(value.round_id),
            month=value.month,
            sex=None if value.sex is None else enums.Sex(value.sex),
            role=None if value.role is None else enums.ParticipantRole(value.role),
            value=value.value,
            value_bool=value.value_bool,
            currency=value.currency,
            status=value.status,
            version=value.version,
            is_current=value.is_current,
            outlier_flagged=bool(value.outlier_flags),
            correction_reason=value.correction_reason,
            return_reason=value.return_reason,
            entered_by=value.entered_by,
            entered_at=value.entered_at,
            submitted_at=value.submitted_at,
            reviewed_by=value.reviewed_by,
            reviewed_at=value.reviewed_at,
            derived=value.derived,
            lineage=ValueLineage.from_json(value.lineage),
        )


@strawberry.type(description="An improvement project: 5S in the warehouse, a suggestion box ...")
class ImprovementProject:
    id: strawberry.ID
    module_code: str
    title: str
    category: str
    status: str = strawberry.field(description="planned | in_progress | completed | abandoned")
    started_on: date | None
    completed_on: date | None
    cost: Decimal | None
    savings: Decimal | None
    currency: str | None = strawberry.field(description="ISO 4217, of cost and savings")
    before_photo: str | None
    after_photo: str | None
    created_at: datetime
    updated_at: datetime | None

    @classmethod
    def from_row(cls, row: ImprovementProjectRow | ProjectPublic) -> Self:
        return cls(
            id=_id(row.id),
            module_code=row.module_code,
            title=row.title,
            category=row.category,
            status=row.status,
            started_on=row.started_on,
            completed_on=row.completed_on,
            cost=row.cost,
            savings=row.savings,
            currency=row.currency,
            before_photo=row.before_photo,
            after_photo=row.after_photo,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


@strawberry.type(description="How many current team members have this role and sex")
class TeamComposition:
    role: enums.ParticipantRole
    sex: enums.Sex
    count: int

    @classmethod
    def from_row(cls, row: MembersOf) -> Self:
        return cls(role=enums.ParticipantRole(row.role), sex=enums.Sex(row.sex), count=row.members)


@strawberry.type(description="The Enterprise Improvement Team (EIT): managers and workers")
class ImprovementTeam:
    id: strawberry.ID
    formed_on: date
    meeting_frequency: str | None
    member_count: int = strawberry.field(description="Current members (those who left excluded)")
    members_by_role_and_sex: list[TeamComposition]
    meeting_count: int
    last_meeting_on: date | None

    @classmethod
    def from_row(cls, row: TeamSummary) -> Self:
        return cls(
            id=_id(row.team.id),
            formed_on=row.team.formed_on,
            meeting_frequency=row.team.meeting_frequency,
            member_count=sum(part.members for part in row.composition),
            members_by_role_and_sex=[TeamComposition.from_row(part) for part in row.composition],
            meeting_count=row.meetings,
            last_meeting_on=row.last_meeting_on,
        )


@strawberry.type(description="Participants' ratings of the training")
class SatisfactionSummary:
    n: int = strawberry.field(description="Responses")
    satisfied: int = strawberry.field(description="Responses rating 4 or 5 of 5")
    satisfied_share: float = strawberry.field(description="satisfied / n, from 0 to 1")
    average_rating: float = strawberry.field(description="From 1 to 5")

    @classmethod
    def from_row(cls, row: SatisfactionTally) -> Self:
        return cls(
            n=row.n,
            satisfied=row.satisfied,
            satisfied_share=row.satisfied / row.n,
            average_rating=row.average_rating,
        )


async def _indicator_values(
    root: "Enterprise",
    info: Info,
    indicator_code: str | None = None,
    round_id: strawberry.ID | None = None,
    status: str | None = None,
    current_only: bool = True,
) -> list[IndicatorValue]:
    value_filter = ValueFilter(
        indicator_code=indicator_code,
        round_id=None if round_id is None else parse_id(round_id, "roundId"),
        status=None if status is None else parse_choice(status, "status", VALUE_STATUSES),
        current_only=current_only,
    )
    rows = await info.context.loaders.values.load((UUID(root.id), value_filter))
    return [IndicatorValue.from_row(row) for row in rows]


async def _improvement_projects(
    root: "Enterprise", info: Info, status: str | None = None
) -> list[ImprovementProject]:
    if status is not None:
        parse_choice(status, "status", PROJECT_STATUSES)
    rows = await info.context.loaders.improvement_projects.load((UUID(root.id), status))
    return [ImprovementProject.from_row(row) for row in rows]


async def _improvement_team(root: "Enterprise", info: Info) -> ImprovementTeam | None:
    row = await info.context.loaders.improvement_team.load(UUID(root.id))
    return None if row is None else ImprovementTeam.from_row(row)


async def _satisfaction(
    root: "Enterprise", info: Info, module_code: str | None = None
) -> SatisfactionSummary | None:
    row = await info.context.loaders.satisfaction.load((UUID(root.id), module_code))
    return None if row is None else SatisfactionSummary.from_row(row)


@strawberry.type(description="An amount of money in one currency")
class MoneyAmount:
    currency: str
    amount: Decimal


@strawberry.type(description="The suggestion scheme register summed up")
class SuggestionSchemeSummary:
    submitted: int
    adopted: int
    rejected: int
    rewarded: int = strawberry.field(description="Adopted suggestions whose worker was rewarded")
    adopted_by_women: int
    in_place: bool = strawberry.field(description="At least one adopted suggestion was rewarded")
    savings: list[MoneyAmount] = strawberry.field(description="Of adopted suggestions, by currency")
    rewards_paid: list[MoneyAmount]

    @classmethod
    def from_model(cls, scheme: SuggestionScheme) -> Self:
        return cls(
            submitted=scheme.submitted,
            adopted=scheme.adopted,
            rejected=scheme.rejected,
            rewarded=scheme.rewarded,
            adopted_by_women=scheme.adopted_by_sex.get(enums.Sex.female, 0),
            in_place=scheme.in_place,
            savings=[
                MoneyAmount(currency=c, amount=a) for c, a in scheme.savings_by_currency.items()
            ],
            rewards_paid=[
                MoneyAmount(currency=c, amount=a) for c, a in scheme.rewards_by_currency.items()
            ],
        )


async def _suggestion_scheme(root: "Enterprise", info: Info) -> SuggestionSchemeSummary:
    enterprise_id = UUID(root.id)
    rows = await info.context.loaders.suggestions.load(enterprise_id)
    return SuggestionSchemeSummary.from_model(scheme_of(enterprise_id, rows))


@strawberry.type(description="An Enterprise Improvement Plan and how far it has got")
class ImprovementPlan:
    id: strawberry.ID
    module_code: str
    title: str
    agreed_on: date
    status: str = strawberry.field(description="open | completed")
    completed_on: date | None
    actions: int
    actions_done: int
    actions_overdue: int
    percent_done: float = strawberry.field(description="Done over actions not dropped")

    @classmethod
    def from_model(cls, plan: PlanPublic) -> Self:
        return cls(
            id=_id(plan.id),
            module_code=plan.module_code,
            title=plan.title,
            agreed_on=plan.agreed_on,
            status=plan.status.value,
            completed_on=plan.completed_on,
            actions=plan.progress.actions,
            actions_done=plan.progress.done,
            actions_overdue=plan.progress.overdue,
            percent_done=plan.progress.percent_done,
        )


async def _improvement_plans(root: "Enterprise", info: Info) -> list[ImprovementPlan]:
    rows = await info.context.loaders.improvement_plans.load(UUID(root.id))
    return [ImprovementPlan.from_model(row) for row in rows]


# No description: the entity's owner (enrolment) describes it in the composed graph.
@strawberry.federation.type(keys=["id"])
class Enterprise:
    id: strawberry.ID

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Self | None:
        # Called with the representation's fields as keyword arguments, hence `id`.
        enterprise_id = parse_id(id, "id")
        visible = await info.context.loaders.enterprise.load(enterprise_id)
        return cls(id=_id(enterprise_id)) if visible else None

    # Nullable: the enterprise comes from enrolment, and this service being down must
    # cost only these fields, not the enterprise.
    indicator_values: list[IndicatorValue] | None = strawberry.field(
        resolver=_indicator_values,
        description="Its captured values, current versions only unless currentOnly is false",
        directives=[list_size(assumed=100)],
    )
    improvement_projects: list[ImprovementProject] | None = strawberry.field(
        resolver=_improvement_projects,
        description="Its improvement projects, oldest first",
        directives=[list_size(assumed=20)],
    )
    improvement_team: ImprovementTeam | None = strawberry.field(
        resolver=_improvement_team, description="Its EIT; null until one is formed"
    )
    satisfaction: SatisfactionSummary | None = strawberry.field(
        resolver=_satisfaction,
        description="Its participants' ratings (of one module if given); null without any",
    )
    improvement_plans: list[ImprovementPlan] | None = strawberry.field(
        resolver=_improvement_plans, description="Its Enterprise Improvement Plans, oldest first"
    )
    suggestion_scheme: SuggestionSchemeSummary | None = strawberry.field(
        resolver=_suggestion_scheme,
        description="Its suggestion register: adopted, rewarded, savings; whether in place",
    )
