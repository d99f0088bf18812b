"""GraphQL mutations for applications to calls: apply, and answer the criteria questions
(the REST routes' service calls, shared/mutations.py)."""

import json
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Self

import strawberry
from strawberry.scalars import JSON

from services.enrolment.calls.schemas import (
    ApplicationCreate,
    ApplicationPublic,
    ApplicationUpdate,
)
from services.enrolment.calls.service import application_service
from services.enrolment.graphql.types import Info
from shared import enums
from shared.graphql import parse_id
from shared.mutations import Failure, mutate, parse_model

strawberry.enum(enums.ApplicationOutcome)


@strawberry.enum(description="How an application fared on one criterion")
class CriterionOutcome(StrEnum):
    passed = "passed"
    failed = "failed"
    unknown = "unknown"


@strawberry.type(description="How one criterion came out, with a plain-English explanation")
class CriterionResult:
    key: str
    label: str
    kind: str = strawberry.field(description="hard (must pass) | priority (scored)")
    outcome: CriterionOutcome
    observed: str = strawberry.field(description="The value judged, as JSON")
    expected: str
    explanation: str
    score: float


@strawberry.type(description="An enterprise's application to a call, judged at once")
class Application:
    id: strawberry.ID
    call_id: strawberry.ID
    project_id: strawberry.ID
    enterprise_id: strawberry.ID
    submitted_at: datetime
    outcome: enums.ApplicationOutcome | None
    priority_score: float
    criteria_version: int | None
    evaluation: list[CriterionResult] = strawberry.field(description="One per criterion")
    evaluated_at: datetime | None

    @classmethod
    def from_model(cls, application: ApplicationPublic) -> Self:
        return cls(
            id=strawberry.ID(str(application.id)),
            call_id=strawberry.ID(str(application.call_id)),
            project_id=strawberry.ID(str(application.project_id)),
            enterprise_id=strawberry.ID(str(application.enterprise_id)),
            submitted_at=application.submitted_at,
            outcome=application.outcome,
            priority_score=application.priority_score,
            criteria_version=application.criteria_version,
            evaluation=[
                CriterionResult(
                    key=result.key,
                    label=result.label,
                    kind=str(result.kind),
                    outcome=CriterionOutcome(result.outcome),
                    observed=json.dumps(result.observed),
                    expected=result.expected,
                    explanation=result.explanation,
                    score=result.score,
                )
                for result in application.evaluation
            ],
            evaluated_at=application.evaluated_at,
        )


ApplicationResult = Annotated[Application | Failure, strawberry.union("ApplicationResult")]


@strawberry.input(description="The enterprise's declarations; an unanswered one is unknown")
class ApplicationAnswersInput:
    willing_to_share_order_status: bool | None = strawberry.UNSET
    willing_to_share_baseline_data: bool | None = strawberry.UNSET
    willing_to_hire_key_staff: bool | None = strawberry.UNSET
    ceo_attends_workshops: bool | None = strawberry.UNSET
    senior_nominee_with_authority: bool | None = strawberry.UNSET
    questions: JSON | None = strawberry.field(
        default=strawberry.UNSET,
        description=(
            "Answers to the call's own questions, by question key (yes/no, number, text or "
            "one of the choices), checked as over REST"
        ),
    )


@strawberry.input
class ApplyToCallInput:
    enterprise_id: strawberry.ID
    answers: ApplicationAnswersInput | None = strawberry.UNSET


@strawberry.input
class AnswerCriteriaInput:
    answers: ApplicationAnswersInput


async def apply_to_call(
    info: Info, call_id: strawberry.ID, input: ApplyToCallInput
) -> ApplicationResult:
    context = info.context
    return await mutate(
        context,
        lambda session: application_service.create(
            session,
            parse_id(call_id, "callId"),
            parse_model(ApplicationCreate, input),
            principal=context.principal,
        ),
        Application.from_model,
    )


async def answer_criteria(
    info: Info, application_id: strawberry.ID, input: AnswerCriteriaInput
) -> ApplicationResult:
    context = info.context
    return await mutate(
        context,
        lambda session: application_service.update(
            session,
            parse_id(application_id, "applicationId"),
            parse_model(ApplicationUpdate, input),
            principal=context.principal,
        ),
        Application.from_model,
    )


@strawberry.type
class ApplicationMutations:
    apply_to_call: ApplicationResult = strawberry.mutation(
        resolver=apply_to_call,
        description=(
            "Apply for an enterprise (POST /enrolment/calls/{id}/applications); judged at "
            "once, with an explanation per criterion"
        ),
    )
    answer_criteria: ApplicationResult = strawberry.mutation(
        resolver=answer_criteria,
        description=(
            "Add or correct the declarations while the call is open "
            "(PATCH /enrolment/applications/{id}); judged again"
        ),
    )
