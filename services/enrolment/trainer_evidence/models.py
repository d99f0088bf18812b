"""A trainer's quiz results and assignments on a module's certification path."""

from datetime import date, datetime
from uuid import UUID

from sqlalchemy import BigInteger, CheckConstraint, SmallInteger, String, UniqueConstraint
from sqlmodel import Field

from services.enrolment.db import Table
from shared.columns import created_at_field
from shared.ids import new_id


class TrainerQuizResult(Table, table=True):
    """The quiz at the end of one session; a retake replaces it (the latest attempt counts)."""

    __tablename__ = "trainer_quiz_result"
    __table_args__ = (
        UniqueConstraint("trainer_id", "module_id", "session_number"),
        CheckConstraint("score BETWEEN 0 AND 100", name="score_percent"),
        CheckConstraint("pass_mark BETWEEN 1 AND 100", name="pass_mark_percent"),
    )

    id: UUID = Field(default_factory=new_id, primary_key=True)
    trainer_id: UUID = Field(foreign_key="trainer.id", index=True, ondelete="CASCADE")
    module_id: UUID = Field(foreign_key="training_module.id")
    session_number: int = Field(sa_type=SmallInteger)
    score: int = Field(sa_type=SmallInteger)
    pass_mark: int = Field(sa_type=SmallInteger)
    taken_on: date
    recorded_by: str = Field(sa_type=String(200))
    updated_at: datetime = created_at_field()


class TrainerAssignment(Table, table=True):
    """An assignment submitted at the end of the workshop, kept in the file store."""

    __tablename__ = "trainer_assignment"

    id: UUID = Field(default_factory=new_id, primary_key=True)
    trainer_id: UUID = Field(foreign_key="trainer.id", index=True, ondelete="CASCADE")
    module_id: UUID = Field(foreign_key="training_module.id")
    note: str | None = Field(default=None, sa_type=String(300))
    storage_key: str = Field(sa_type=String(200), unique=True)
    content_type: str = Field(sa_type=String(100))
    size_bytes: int = Field(sa_type=BigInteger)
    sha256: str = Field(sa_type=String(64))
    file_name: str = Field(sa_type=String(200))
    uploaded_by: str = Field(sa_type=String(200))
    created_at: datetime = created_at_field()
