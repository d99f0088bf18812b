"""Certification evidence contracts: quiz results per session and assignments."""

from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class QuizResultPut(BaseModel):
    """The quiz at the end of one session, in percent; a retake replaces the result."""

    model_config = ConfigDict(extra="forbid")

    score: int = Field(ge=0, le=100, description="Percent of the quiz answered right")
    pass_mark: int = Field(ge=1, le=100, description="Percent needed to pass")
    taken_on: date


class QuizResultPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    session_number: int
    score: int
    pass_mark: int
    passed: bool
    taken_on: date
    recorded_by: str
    updated_at: datetime


class AssignmentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    note: str | None
    content_type: str
    size_bytes: int
    sha256: str = Field(description="Of the stored file; also its ETag")
    file_name: str
    uploaded_by: str
    created_at: datetime


class EvidencePublic(BaseModel):
    """A trainer's evidence on a module's certification path, and what certification lacks."""

    trainer_id: UUID
    module_code: str
    sessions: int = Field(description="Sessions on the path: one quiz each (the module's days)")
    quizzes: list[QuizResultPublic]
    assignments: list[AssignmentPublic]
    sessions_without_passed_quiz: list[int]
    assignment_missing: bool
    complete: bool = Field(description="Certification needs nothing more")
