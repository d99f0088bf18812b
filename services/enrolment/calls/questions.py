"""Questions a call asks besides the fixed profile and declarations (seed 003: Jordan's
"employment of Syrian refugees and host community members", Ghana's "green and
eco-friendly business practices").

A call's criteria version carries its questions; an application answers them under
``answers.questions``; each answer enters the evaluated snapshot under the question's key,
so a rule reads it like any profile field and an unanswered question makes its criterion
unknown, with the same explanation.
"""

from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr
from pydantic import model_validator as _model_validator

from shared.problems import InvalidInput, field_error

QuestionType = Literal["yes_no", "number", "text", "choice"]
QuestionKey = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
Answer = StrictBool | StrictInt | StrictFloat | Annotated[StrictStr, Field(max_length=1000)]
Answers = Annotated[
    dict[QuestionKey, Answer | None],
    Field(max_length=100, description="Answers to the call's own questions, by question key"),
]


class CallQuestion(BaseModel):
    """One question of a call; its key is the field criteria read."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: QuestionKey = Field(examples=["employs_syrian_refugees"])
    label: str = Field(min_length=1, max_length=500)
    type: QuestionType
    options: list[Annotated[str, Field(min_length=1, max_length=200)]] | None = Field(
        default=None, max_length=50, description="The allowed answers of a choice question"
    )

    @_model_validator(mode="after")
    def _options_only_for_choices(self) -> Self:
        if (self.type == "choice") != bool(self.options):
            raise ValueError(
                f"question {self.key!r}: a choice question lists its options, other types none"
            )
        return self


QuestionList = Annotated[list[CallQuestion], Field(max_length=50)]


def question_errors(questions: Sequence[CallQuestion], reserved: Sequence[str]) -> list[Any]:
    """Keys that are taken: by a profile field or declaration, or by another question."""
    errors = []
    seen: set[str] = set()
    for index, question in enumerate(questions):
        where = f"body.questions.{index}.key"
        if question.key in reserved:
            errors.append(
                field_error(
                    where, "question_key", "names a field applications already have", question.key
                )
            )
        elif question.key in seen:
            errors.append(field_error(where, "question_key", "asked twice", question.key))
        seen.add(question.key)
    return errors


def _fits(question: CallQuestion, answer: Answer) -> str | None:
    """Why ``answer`` does not answer ``question``, or None."""
    if question.type == "yes_no":
        return None if isinstance(answer, bool) else "a yes/no question takes true or false"
    if question.type == "number":
        ok = isinstance(answer, int | float) and not isinstance(answer, bool)
        return None if ok else "a number question takes a number"
    if not isinstance(answer, str):
        return f"a {question.type} question takes text"
    if question.type == "choice" and answer not in (question.options or []):
        return "one of: " + ", ".join(question.options or [])
    return None


def check_answers(questions: Sequence[CallQuestion], answers: Mapping[str, Answer | None]) -> None:
    """422 naming each answer to a question the call does not ask, or of the wrong kind."""
    asked = {question.key: question for question in questions}
    errors = []
    for key, answer in answers.items():
        where = f"body.answers.questions.{key}"
        question = asked.get(key)
        if question is None:
            known = ", ".join(asked) or "none"
            errors.append(
                field_error(where, "known_question", f"the call asks no such question ({known})")
            )
        elif answer is not None and (problem := _fits(question, answer)) is not None:
            errors.append(field_error(where, f"question_{question.type}", problem, answer))
    if errors:
        raise InvalidInput("Some answers do not answer the call's questions", errors=errors)


def snapshot_answers(
    questions: Sequence[CallQuestion], answers: Mapping[str, Any]
) -> dict[str, Any]:
    """Each question's answer by its key (None when unanswered: its criteria are unknown)."""
    given = answers.get("questions") or {}
    return {question.key: given.get(question.key) for question in questions}
