"""GraphQL mutations for enterprises: register and update, through the REST routes' service
calls (shared/mutations.py)."""

from typing import Annotated

import strawberry

from services.enrolment.enterprises.schemas import EnterpriseCreate, EnterpriseUpdate
from services.enrolment.enterprises.service import enterprise_service
from services.enrolment.graphql.types import Enterprise, Info
from shared import enums
from shared.graphql import parse_id
from shared.mutations import Failure, mutate, parse_model

strawberry.enum(enums.Ownership)

EnterpriseResult = Annotated[Enterprise | Failure, strawberry.union("EnterpriseResult")]


@strawberry.input(description="An enterprise's profile, as POST /enrolment/enterprises takes it")
class RegisterEnterpriseInput:
    name: str
    country: str = strawberry.field(description="ISO 3166-1 alpha-2")
    sector: str = strawberry.field(description="A slug, e.g. textile")
    partner_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET,
        description="Recruiting implementation partner; partner staff may omit it (their own)",
    )
    registration_number: str | None = strawberry.UNSET
    city: str | None = strawberry.UNSET
    address: str | None = strawberry.UNSET
    sub_sector: str | None = strawberry.UNSET
    ownership: enums.Ownership | None = strawberry.UNSET
    women_led: bool | None = strawberry.UNSET
    workforce_total: int | None = strawberry.UNSET
    workforce_permanent: int | None = strawberry.UNSET
    workforce_female: int | None = strawberry.UNSET
    workforce_male: int | None = strawberry.UNSET
    has_hr_officer: bool | None = strawberry.UNSET
    has_compliance_officer: bool | None = strawberry.UNSET
    has_industrial_engineer: bool | None = strawberry.UNSET
    ceo_name: str | None = strawberry.UNSET
    contact_email: str | None = strawberry.UNSET
    buyer_ids: list[strawberry.ID] | None = strawberry.field(
        default=strawberry.UNSET, description="Lead buyers supplied"
    )


@strawberry.input(
    description="A partial update: fields left out keep their value (PATCH semantics)"
)
class UpdateEnterpriseInput:
    name: str | None = strawberry.UNSET
    registration_number: str | None = strawberry.UNSET
    country: str | None = strawberry.UNSET
    city: str | None = strawberry.UNSET
    address: str | None = strawberry.UNSET
    sector: str | None = strawberry.UNSET
    sub_sector: str | None = strawberry.UNSET
    ownership: enums.Ownership | None = strawberry.UNSET
    women_led: bool | None = strawberry.UNSET
    workforce_total: int | None = strawberry.UNSET
    workforce_permanent: int | None = strawberry.UNSET
    workforce_female: int | None = strawberry.UNSET
    workforce_male: int | None = strawberry.UNSET
    has_hr_officer: bool | None = strawberry.UNSET
    has_compliance_officer: bool | None = strawberry.UNSET
    has_industrial_engineer: bool | None = strawberry.UNSET
    ceo_name: str | None = strawberry.UNSET
    contact_email: str | None = strawberry.UNSET
    buyer_ids: list[strawberry.ID] | None = strawberry.UNSET


async def register_enterprise(info: Info, input: RegisterEnterpriseInput) -> EnterpriseResult:
    context = info.context
    return await mutate(
        context,
        lambda session: enterprise_service.create(
            session, parse_model(EnterpriseCreate, input), principal=context.principal
        ),
        Enterprise.from_model,
    )


async def update_enterprise(
    info: Info, id: strawberry.ID, input: UpdateEnterpriseInput
) -> EnterpriseResult:
    context = info.context
    return await mutate(
        context,
        lambda session: enterprise_service.update(
            session,
            parse_id(id, "id"),
            parse_model(EnterpriseUpdate, input),
            principal=context.principal,
        ),
        Enterprise.from_model,
    )


@strawberry.type
class EnterpriseMutations:
    register_enterprise: EnterpriseResult = strawberry.mutation(
        resolver=register_enterprise,
        description=(
            "Register an enterprise (POST /enrolment/enterprises): likely duplicates are "
            "flagged, not merged"
        ),
    )
    update_enterprise: EnterpriseResult = strawberry.mutation(
        resolver=update_enterprise,
        description=(
            "Update a profile (PATCH /enrolment/enterprises/{id}); open applications are "
            "judged again"
        ),
    )
