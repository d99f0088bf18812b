"""What a trainer lacks to be certified in a module: a passed quiz for every session of
the certification path (one per classroom day of the module) and an assignment. The
trainers service refuses certification without them unless the ILO overrides."""

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.catalogue.models import TrainingModule
from services.enrolment.trainer_evidence.models import TrainerAssignment, TrainerQuizResult
from services.enrolment.trainer_evidence.repository import evidence_repository
from shared.problems import field_error

QUIZ_RULE = "quiz_passed"
ASSIGNMENT_RULE = "assignment_submitted"


def path_sessions(module: TrainingModule) -> int:
    """The sessions of the module's certification path: one per classroom day."""
    return module.classroom_days


def passed(quiz: TrainerQuizResult) -> bool:
    return quiz.score >= quiz.pass_mark


@dataclass(frozen=True)
class Evidence:
    quizzes: list[TrainerQuizResult]
    assignments: list[TrainerAssignment]
    sessions_without_passed_quiz: list[int]

    @property
    def assignment_missing(self) -> bool:
        return not self.assignments

    @property
    def complete(self) -> bool:
        return not self.sessions_without_passed_quiz and not self.assignment_missing

    def missing(self) -> list[dict[str, Any]]:
        """One error per missing piece, naming the session or the assignment."""
        quiz_of = {quiz.session_number: quiz for quiz in self.quizzes}
        errors = []
        for number in self.sessions_without_passed_quiz:
            quiz = quiz_of.get(number)
            detail = (
                f"session {number} has no quiz result"
                if quiz is None
                else f"session {number}'s quiz scored {quiz.score}, under its pass mark "
                f"{quiz.pass_mark}"
            )
            errors.append(field_error(f"evidence.quizzes.{number}", QUIZ_RULE, detail))
        if self.assignment_missing:
            errors.append(
                field_error("evidence.assignment", ASSIGNMENT_RULE, "no assignment submitted")
            )
        return errors


async def evidence(session: AsyncSession, trainer_id: UUID, module: TrainingModule) -> Evidence:
    quizzes = await evidence_repository.quizzes(session, trainer_id, module.id)
    assignments = await evidence_repository.assignments(session, trainer_id, module.id)
    passed_sessions = {quiz.session_number for quiz in quizzes if passed(quiz)}
    lacking = [n for n in range(1, path_sessions(module) + 1) if n not in passed_sessions]
    return Evidence(quizzes, assignments, lacking)
