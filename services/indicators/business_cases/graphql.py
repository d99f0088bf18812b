"""Business cases in the graph: queries and the mutations of their non-file fields (the
REST routes' service calls, shared/mutations.py). Photos go over REST multipart; the graph
gives each photo's facts and the REST path to download it."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Self

import strawberry

from services.indicators.business_cases.schemas import (
    BusinessCaseCreate,
    BusinessCasePublic,
    BusinessCaseUpdate,
    PhotoPublic,
)
from services.indicators.business_cases.service import business_case_service
from services.indicators.graphql.context import GraphQLContext
from shared.graphql import list_size, parse_id
from shared.mutations import Failure, mutate, parse_model
from shared.pagination import MAX_LIMIT, PageRequest
from shared.problems import NotFound

Info = strawberry.Info[GraphQLContext, None]


@strawberry.type(description="A before or after photo of a business case")
class BusinessCasePhoto:
    id: strawberry.ID
    stage: str = strawberry.field(description="before | after")
    caption: str
    content_type: str
    size_bytes: int
    sha256: str
    file_name: str
    download_path: str = strawberry.field(
        description="GET it through the gateway (the file, streamed): /indicators/..."
    )
    created_at: datetime

    @classmethod
    def from_model(cls, photo: PhotoPublic) -> Self:
        return cls(
            id=strawberry.ID(str(photo.id)),
            stage=photo.stage.value,
            caption=photo.caption,
            content_type=photo.content_type,
            size_bytes=photo.size_bytes,
            sha256=photo.sha256,
            file_name=photo.file_name,
            download_path=(
                f"/indicators/business-cases/{photo.business_case_id}/photos/{photo.id}/file"
            ),
            created_at=photo.created_at,
        )


@strawberry.type(description="What an improvement project changed, told with photos")
class BusinessCase:
    id: strawberry.ID
    enterprise_id: strawberry.ID
    improvement_project_id: strawberry.ID | None = strawberry.field(
        description="Null for a buyer: the case is shared with it, the supplier's records not"
    )
    title: str
    problem: str
    action_taken: str
    result: str
    savings: Decimal | None
    currency: str | None
    photos: list[BusinessCasePhoto]
    created_at: datetime
    updated_at: datetime | None

    @classmethod
    def from_model(cls, case: BusinessCasePublic) -> Self:
        project = case.improvement_project_id
        return cls(
            id=strawberry.ID(str(case.id)),
            enterprise_id=strawberry.ID(str(case.enterprise_id)),
            improvement_project_id=None if project is None else strawberry.ID(str(project)),
            title=case.title,
            problem=case.problem,
            action_taken=case.action_taken,
            result=case.result,
            savings=case.savings,
            currency=case.currency,
            photos=[BusinessCasePhoto.from_model(photo) for photo in case.photos],
            created_at=case.created_at,
            updated_at=case.updated_at,
        )


async def business_case(info: Info, id: strawberry.ID) -> BusinessCase | None:
    context = info.context
    async with context.database() as session:
        try:
            found = await business_case_service.get(
                session, parse_id(id, "id"), principal=context.principal
            )
        except NotFound:
            return None
    return BusinessCase.from_model(found)


async def business_cases(info: Info, enterprise_id: strawberry.ID) -> list[BusinessCase]:
    context = info.context
    async with context.database() as session:
        try:
            page = await business_case_service.get_for_enterprise(
                session,
                parse_id(enterprise_id, "enterpriseId"),
                principal=context.principal,
                page=PageRequest(limit=MAX_LIMIT),
            )
        except NotFound:
            return []
    return [BusinessCase.from_model(item) for item in page.items]


@strawberry.type
class BusinessCaseQueries:
    business_case: BusinessCase | None = strawberry.field(
        resolver=business_case,
        description="A business case; null if unknown or not yours (nor shared with you)",
    )
    business_cases: list[BusinessCase] | None = strawberry.field(
        resolver=business_cases,
        description=(
            "An enterprise's business cases (a consenting supplier's, for its buyer); "
            "empty for an enterprise you may not see"
        ),
        directives=[list_size(assumed=10)],
    )


BusinessCaseResult = Annotated[BusinessCase | Failure, strawberry.union("BusinessCaseResult")]


@strawberry.input(description="A business case; judged whole, as over REST")
class CreateBusinessCaseInput:
    improvement_project_id: strawberry.ID
    title: str
    problem: str
    action_taken: str
    result: str
    savings: Decimal | None = strawberry.UNSET
    currency: str | None = strawberry.UNSET


@strawberry.input(description="A partial update; the result is judged whole")
class UpdateBusinessCaseInput:
    title: str | None = strawberry.UNSET
    problem: str | None = strawberry.UNSET
    action_taken: str | None = strawberry.UNSET
    result: str | None = strawberry.UNSET
    savings: Decimal | None = strawberry.UNSET
    currency: str | None = strawberry.UNSET


async def create_business_case(
    info: Info, enterprise_id: strawberry.ID, input: CreateBusinessCaseInput
) -> BusinessCaseResult:
    context = info.context
    return await mutate(
        context,
        lambda session: business_case_service.create(
            session,
            parse_id(enterprise_id, "enterpriseId"),
            parse_model(BusinessCaseCreate, input),
            principal=context.principal,
        ),
        BusinessCase.from_model,
    )


async def update_business_case(
    info: Info, id: strawberry.ID, input: UpdateBusinessCaseInput
) -> BusinessCaseResult:
    context = info.context
    return await mutate(
        context,
        lambda session: business_case_service.update(
            session,
            parse_id(id, "id"),
            parse_model(BusinessCaseUpdate, input),
            principal=context.principal,
        ),
        BusinessCase.from_model,
    )


@strawberry.type
class BusinessCaseMutations:
    create_business_case: BusinessCaseResult = strawberry.mutation(
        resolver=create_business_case,
        description="Record a business case (POST /indicators/enterprises/{id}/business-cases)",
    )
    update_business_case: BusinessCaseResult = strawberry.mutation(
        resolver=update_business_case,
        description="Change a business case (PATCH /indicators/business-cases/{id})",
    )
