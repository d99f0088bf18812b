"""GraphQL mutations for improvement projects and satisfaction ratings (the REST routes'
service calls, shared/mutations.py)."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Self

import strawberry

from services.indicators.graphql.types import ImprovementProject, Info
from services.indicators.improvement_projects.schemas import ProjectCreate, ProjectUpdate
from services.indicators.improvement_projects.service import improvement_project_service
from services.indicators.satisfaction.schemas import SatisfactionIn, SatisfactionPublic
from services.indicators.satisfaction.service import satisfaction_service
from shared import enums
from shared.graphql import parse_id
from shared.mutations import Failure, mutate, parse_model


@strawberry.type(description="A participant's rating of a module")
class SatisfactionRating:
    id: strawberry.ID
    enterprise_id: strawberry.ID
    participant_id: strawberry.ID
    module_code: str
    role: enums.ParticipantRole
    sex: enums.Sex
    rating: int = strawberry.field(description="1 very dissatisfied .. 5 very satisfied")
    would_recommend: bool | None
    rated_on: date
    submitted_at: datetime

    @classmethod
    def from_model(cls, rating: SatisfactionPublic) -> Self:
        return cls(
            id=strawberry.ID(str(rating.id)),
            enterprise_id=strawberry.ID(str(rating.enterprise_id)),
            participant_id=strawberry.ID(str(rating.participant_id)),
            module_code=rating.module_code,
            role=rating.role,
            sex=rating.sex,
            rating=rating.rating,
            would_recommend=rating.would_recommend,
            rated_on=rating.rated_on,
            submitted_at=rating.submitted_at,
        )


ImprovementProjectResult = Annotated[
    ImprovementProject | Failure, strawberry.union("ImprovementProjectResult")
]
SatisfactionResult = Annotated[SatisfactionRating | Failure, strawberry.union("SatisfactionResult")]


@strawberry.input(description="An improvement project; judged whole, as over REST")
class CreateImprovementProjectInput:
    module_code: str
    title: str
    category: str = strawberry.field(description="A slug: five_s, suggestion_scheme, ...")
    status: str | None = strawberry.field(
        default=strawberry.UNSET, description="planned (default) | in_progress | completed"
    )
    started_on: date | None = strawberry.UNSET
    completed_on: date | None = strawberry.UNSET
    cost: Decimal | None = strawberry.UNSET
    savings: Decimal | None = strawberry.UNSET
    currency: str | None = strawberry.UNSET
    before_photo: str | None = strawberry.UNSET
    after_photo: str | None = strawberry.UNSET


@strawberry.input(description="A partial update; the result is judged whole")
class UpdateImprovementProjectInput:
    module_code: str | None = strawberry.UNSET
    title: str | None = strawberry.UNSET
    category: str | None = strawberry.UNSET
    status: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="planned -> in_progress -> completed; abandoned from planned or in_progress",
    )
    started_on: date | None = strawberry.UNSET
    completed_on: date | None = strawberry.UNSET
    cost: Decimal | None = strawberry.UNSET
    savings: Decimal | None = strawberry.UNSET
    currency: str | None = strawberry.UNSET
    before_photo: str | None = strawberry.UNSET
    after_photo: str | None = strawberry.UNSET
    reason: str | None = strawberry.field(
        default=strawberry.UNSET, description="Why, recorded with a status change"
    )


@strawberry.input
class RateTrainingInput:
    enterprise_id: strawberry.ID
    participant_id: strawberry.ID
    module_code: str
    role: enums.ParticipantRole
    sex: enums.Sex
    rating: int = strawberry.field(description="1 to 5")
    cohort_id: strawberry.ID | None = strawberry.UNSET
    would_recommend: bool | None = strawberry.UNSET
    comments: str | None = strawberry.UNSET
    rated_on: date | None = strawberry.field(
        default=strawberry.UNSET, description="Default today; backdated within the project"
    )


async def create_improvement_project(
    info: Info, enterprise_id: strawberry.ID, input: CreateImprovementProjectInput
) -> ImprovementProjectResult:
    context = info.context
    return await mutate(
        context,
        lambda session: improvement_project_service.create(
            session,
            parse_id(enterprise_id, "enterpriseId"),
            parse_model(ProjectCreate, input),
            principal=context.principal,
        ),
        ImprovementProject.from_row,
    )


async def update_improvement_project(
    info: Info, id: strawberry.ID, input: UpdateImprovementProjectInput
) -> ImprovementProjectResult:
    context = info.context
    return await mutate(
        context,
        lambda session: improvement_project_service.update(
            session,
            parse_id(id, "id"),
            parse_model(ProjectUpdate, input),
            principal=context.principal,
        ),
        ImprovementProject.from_row,
    )


async def rate_training(info: Info, input: RateTrainingInput) -> SatisfactionResult:
    context = info.context
    return await mutate(
        context,
        lambda session: satisfaction_service.record(
            session, parse_model(SatisfactionIn, input), principal=context.principal
        ),
        SatisfactionRating.from_model,
    )


@strawberry.type
class ImplementationMutations:
    create_improvement_project: ImprovementProjectResult = strawberry.mutation(
        resolver=create_improvement_project,
        description=(
            "Record an improvement project (POST /indicators/enterprises/{id}/improvement-projects)"
        ),
    )
    update_improvement_project: ImprovementProjectResult = strawberry.mutation(
        resolver=update_improvement_project,
        description="Update an improvement project (PATCH /indicators/improvement-projects/{id})",
    )
    rate_training: SatisfactionResult = strawberry.mutation(
        resolver=rate_training,
        description=(
            "Record a participant's rating of a module (POST /indicators/satisfaction-responses)"
        ),
    )
