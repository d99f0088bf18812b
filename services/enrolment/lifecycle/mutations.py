"""GraphQL mutations for the lifecycle: enrol, move between stages, give and withdraw consent
(the REST routes' service calls, shared/mutations.py)."""

from datetime import datetime
from typing import Annotated, Self

import strawberry

from services.enrolment.consent.schemas import ConsentGive, ConsentPublic, ConsentWithdraw
from services.enrolment.consent.service import consent_service
from services.enrolment.graphql.types import EnterpriseEnrolment, Info
from services.enrolment.lifecycle.schemas import EnrolmentCreate, TransitionCreate
from services.enrolment.lifecycle.service import lifecycle_service
from shared import enums
from shared.graphql import parse_id
from shared.mutations import Failure, mutate, parse_model

strawberry.enum(enums.ConsentStatus)


@strawberry.type(description="An enterprise's consent to share its SCORE status with a buyer")
class Consent:
    id: strawberry.ID
    enterprise_id: strawberry.ID
    buyer_id: strawberry.ID
    status: enums.ConsentStatus
    scope: str
    given_at: datetime | None
    withdrawn_at: datetime | None
    updated_at: datetime

    @classmethod
    def from_model(cls, consent: ConsentPublic) -> Self:
        return cls(
            id=strawberry.ID(str(consent.id)),
            enterprise_id=strawberry.ID(str(consent.enterprise_id)),
            buyer_id=strawberry.ID(str(consent.buyer_id)),
            status=consent.status,
            scope=consent.scope,
            given_at=consent.given_at,
            withdrawn_at=consent.withdrawn_at,
            updated_at=consent.updated_at,
        )


EnrolmentResult = Annotated[EnterpriseEnrolment | Failure, strawberry.union("EnrolmentResult")]
ConsentResult = Annotated[Consent | Failure, strawberry.union("ConsentResult")]


@strawberry.input(description="An expression of interest in a project, without a call")
class EnrolEnterpriseInput:
    project_id: strawberry.ID
    enterprise_id: strawberry.ID
    reason: str | None = strawberry.UNSET


@strawberry.input
class ChangeStageInput:
    to_stage: enums.LifecycleStage
    reason: str | None = strawberry.field(
        default=strawberry.UNSET, description="Required for withdrawn and dropped"
    )
    consent_form_reference: str | None = strawberry.field(
        default=strawberry.UNSET, description="The signed form; for consent_signed only"
    )


@strawberry.input
class GiveConsentInput:
    buyer_id: strawberry.ID = strawberry.field(description="The lead buyer to share with")
    reason: str | None = strawberry.UNSET


@strawberry.input
class WithdrawConsentInput:
    reason: str


async def enrol_enterprise(info: Info, input: EnrolEnterpriseInput) -> EnrolmentResult:
    context = info.context
    return await mutate(
        context,
        lambda session: lifecycle_service.create(
            session, parse_model(EnrolmentCreate, input), principal=context.principal
        ),
        lambda created: EnterpriseEnrolment.from_model(created[0]),
    )


async def change_stage(
    info: Info, enrolment_id: strawberry.ID, input: ChangeStageInput
) -> EnrolmentResult:
    context = info.context
    return await mutate(
        context,
        lambda session: lifecycle_service.change_stage(
            session,
            parse_id(enrolment_id, "enrolmentId"),
            parse_model(TransitionCreate, input),
            principal=context.principal,
        ),
        EnterpriseEnrolment.from_model,
    )


async def give_consent(
    info: Info, enterprise_id: strawberry.ID, input: GiveConsentInput
) -> ConsentResult:
    context = info.context
    return await mutate(
        context,
        lambda session: consent_service.give(
            session,
            parse_id(enterprise_id, "enterpriseId"),
            parse_model(ConsentGive, input),
            principal=context.principal,
        ),
        lambda given: Consent.from_model(given[0]),
    )


async def withdraw_consent(
    info: Info, enterprise_id: strawberry.ID, buyer_id: strawberry.ID, input: WithdrawConsentInput
) -> ConsentResult:
    context = info.context
    return await mutate(
        context,
        lambda session: consent_service.withdraw(
            session,
            parse_id(enterprise_id, "enterpriseId"),
            parse_id(buyer_id, "buyerId"),
            parse_model(ConsentWithdraw, input),
            principal=context.principal,
        ),
        Consent.from_model,
    )


@strawberry.type
class LifecycleMutations:
    enrol_enterprise: EnrolmentResult = strawberry.mutation(
        resolver=enrol_enterprise,
        description=(
            "Register an expression of interest in a project without a call "
            "(POST /enrolment/enrolments); the existing enrolment if there is one"
        ),
    )
    change_stage: EnrolmentResult = strawberry.mutation(
        resolver=change_stage,
        description=(
            "Move an enrolment to another stage (POST /enrolment/enrolments/{id}/transitions); "
            "a move the programme forbids answers Conflict with the current and allowed stages"
        ),
    )
    give_consent: ConsentResult = strawberry.mutation(
        resolver=give_consent,
        description=(
            "Give consent to share the SCORE status with a lead buyer "
            "(POST /enrolment/enterprises/{id}/consents)"
        ),
    )
    withdraw_consent: ConsentResult = strawberry.mutation(
        resolver=withdraw_consent,
        description=(
            "Withdraw consent (POST /enrolment/enterprises/{id}/consents/{buyerId}/withdraw): "
            "the buyer stops seeing the supplier, and its events, at once"
        ),
    )
