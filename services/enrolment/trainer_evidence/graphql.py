"""Trainers' certification evidence in the graph: the query and the quiz mutation (the
REST routes' service calls, shared/mutations.py); assignments go over REST multipart."""

from datetime import date, datetime
from typing import Annotated, Self

import strawberry

from services.enrolment.graphql.context import GraphQLContext
from services.enrolment.trainer_evidence.schemas import (
    AssignmentPublic,
    EvidencePublic,
    QuizResultPublic,
    QuizResultPut,
)
from services.enrolment.trainer_evidence.service import evidence_service
from shared.graphql import parse_id
from shared.mutations import Failure, mutate, parse_model
from shared.problems import NotFound

Info = strawberry.Info[GraphQLContext, None]


@strawberry.type(description="The quiz at the end of one session of a certification path")
class TrainerQuizResult:
    session_number: int
    score: int = strawberry.field(description="Percent")
    pass_mark: int = strawberry.field(description="Percent")
    passed: bool
    taken_on: date
    updated_at: datetime

    @classmethod
    def from_model(cls, quiz: QuizResultPublic) -> Self:
        return cls(
            session_number=quiz.session_number,
            score=quiz.score,
            pass_mark=quiz.pass_mark,
            passed=quiz.passed,
            taken_on=quiz.taken_on,
            updated_at=quiz.updated_at,
        )


@strawberry.type(description="An assignment a trainer submitted on a certification path")
class TrainerAssignment:
    id: strawberry.ID
    note: str | None
    content_type: str
    size_bytes: int
    sha256: str
    file_name: str
    download_path: str = strawberry.field(description="GET it through the gateway, streamed")
    created_at: datetime

    @classmethod
    def from_model(cls, trainer_id: str, row: AssignmentPublic) -> Self:
        return cls(
            id=strawberry.ID(str(row.id)),
            note=row.note,
            content_type=row.content_type,
            size_bytes=row.size_bytes,
            sha256=row.sha256,
            file_name=row.file_name,
            download_path=f"/enrolment/trainers/{trainer_id}/assignments/{row.id}/file",
            created_at=row.created_at,
        )


@strawberry.type(description="A trainer's evidence in one module, and what certification lacks")
class TrainerCertificationEvidence:
    trainer_id: strawberry.ID
    module_code: str
    sessions: int = strawberry.field(description="Sessions on the path, one quiz each")
    quizzes: list[TrainerQuizResult]
    assignments: list[TrainerAssignment]
    sessions_without_passed_quiz: list[int]
    assignment_missing: bool
    complete: bool

    @classmethod
    def from_model(cls, evidence: EvidencePublic) -> Self:
        trainer_id = str(evidence.trainer_id)
        return cls(
            trainer_id=strawberry.ID(trainer_id),
            module_code=evidence.module_code,
            sessions=evidence.sessions,
            quizzes=[TrainerQuizResult.from_model(q) for q in evidence.quizzes],
            assignments=[TrainerAssignment.from_model(trainer_id, a) for a in evidence.assignments],
            sessions_without_passed_quiz=evidence.sessions_without_passed_quiz,
            assignment_missing=evidence.assignment_missing,
            complete=evidence.complete,
        )


async def trainer_certification_evidence(
    info: Info, trainer_id: strawberry.ID, module_code: str
) -> TrainerCertificationEvidence | None:
    context = info.context
    try:
        async with context.database() as session:
            found = await evidence_service.get(
                session,
                parse_id(trainer_id, "trainerId"),
                module_code,
                principal=context.principal,
            )
    except NotFound:
        return None
    return TrainerCertificationEvidence.from_model(found)


@strawberry.type
class EvidenceQueries:
    trainer_certification_evidence: TrainerCertificationEvidence | None = strawberry.field(
        resolver=trainer_certification_evidence,
        description="A trainer's quiz results and assignments in a module; null when not yours",
    )


TrainerQuizOutcome = Annotated[TrainerQuizResult | Failure, strawberry.union("TrainerQuizOutcome")]


@strawberry.input
class TrainerQuizInput:
    score: int
    pass_mark: int
    taken_on: date


async def record_trainer_quiz(
    info: Info,
    trainer_id: strawberry.ID,
    module_code: str,
    session_number: int,
    input: TrainerQuizInput,
) -> TrainerQuizOutcome:
    context = info.context
    return await mutate(
        context,
        lambda session: evidence_service.record_quiz(
            session,
            parse_id(trainer_id, "trainerId"),
            module_code,
            session_number,
            parse_model(QuizResultPut, input),
            principal=context.principal,
        ),
        TrainerQuizResult.from_model,
    )


@strawberry.type
class EvidenceMutations:
    record_trainer_quiz: TrainerQuizOutcome = strawberry.mutation(
        resolver=record_trainer_quiz,
        description=(
            "Record a session's quiz on a certification path, replacing an earlier attempt "
            "(PUT /enrolment/trainers/{id}/certifications/{module}/quizzes/{session})"
        ),
    )
