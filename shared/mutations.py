"""GraphQL mutations of every subgraph: each root field calls the service method its REST
route calls, and answers an expected failure as a typed result (Strawberry's guidance)
rather than an error.

* ``mutate`` runs one field's service call in a savepoint of the request's transaction:
  a refused field leaves nothing behind, while the fields before it keep their writes
  (root mutation fields run one after another, like separate REST calls).
* A problem the REST route answers with 422, 404, 403 or 409 becomes ``ValidationFailed``
  (each field and rule), ``NotFound``, ``Forbidden`` or ``Conflict``; anything else (an
  outage, a bug) stays a GraphQL error with its code, as for queries.
* ``parse_input`` validates an input object with the REST route's own pydantic model, so
  both doors apply the same rules and name the same fields (``input.<field>``).
* ``context.writes`` counts the fields that wrote: a keyed mutation that wrote nothing is
  not recorded for replay (``shared.graphql.SubgraphOperation``), like a refused REST write.
"""

import dataclasses
import enum
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import strawberry
from pydantic import BaseModel, TypeAdapter, ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.graphql import SubgraphContext
from shared.problems import (
    TYPE_BASE,
    Forbidden,
    InvalidInput,
    NotFound,
    Problem,
    invalid_from_pydantic,
)

T = TypeVar("T")
P = TypeVar("P")
M = TypeVar("M", bound=BaseModel)

# The argument that carries what a REST route takes as its body.
INPUT_ARGUMENT = "input"


@strawberry.federation.type(
    shareable=True, description="One invalid field: which, the rule it broke, and why"
)
class FieldError:
    field: str = strawberry.field(description="Argument path, e.g. input.workforceTotal")
    rule: str
    message: str


@strawberry.federation.type(
    name="ValidationFailed",
    shareable=True,
    description="The input broke rules (the REST route's 422); nothing was written",
)
class ValidationFailed:
    message: str
    errors: list[FieldError]


@strawberry.federation.type(
    name="NotFound",
    shareable=True,
    description="No such object, or not one you may see (the two are never told apart)",
)
class NotFoundResult:
    message: str


@strawberry.federation.type(
    name="Forbidden",
    shareable=True,
    description="You may see the object but your role may not do this (REST's 403)",
)
class ForbiddenResult:
    message: str
    errors: list[FieldError]


@strawberry.federation.type(
    name="Conflict",
    shareable=True,
    description=(
        "The object is not in a state that allows this (REST's 409): a stage transition "
        "that is not allowed names the current stage and the allowed ones; a transient "
        "condition says after how many seconds to send the same mutation again"
    ),
)
class ConflictResult:
    message: str
    type: str = strawberry.field(description="The problem type URI, as in REST")
    errors: list[FieldError]
    current_stage: str | None = strawberry.field(description="Stage transitions")
    allowed_stages: list[str] = strawberry.field(description="Stage transitions")
    current_status: str | None = strawberry.field(description="Values and projects")
    retry_after: int | None = strawberry.field(
        description="Seconds after which the same mutation may succeed (transient conflicts)"
    )


Failure = ValidationFailed | NotFoundResult | ForbiddenResult | ConflictResult
"""Every mutation's result is a union of its payload with these."""


# JSON arguments keyed by data, not by field names: their keys are not camel-cased.
DATA_KEYED = frozenset({"questions"})


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def argument_path(field: str) -> str:
    """A REST field path as the mutation's argument path: ``body.workforce_total`` is
    ``input.workforceTotal``; path and query parameters are arguments of their own."""
    head, _, rest = field.partition(".")
    if head == "body":
        parts = [INPUT_ARGUMENT, *rest.split(".")] if rest else [INPUT_ARGUMENT]
    elif head in ("path", "query", "header") and rest:
        parts = rest.split(".")
    else:
        parts = field.split(".")
    named: list[str] = []
    for index, part in enumerate(parts):
        named.append(_camel(part))
        if part in DATA_KEYED:
            # What follows is the caller's own key (a call's question key), kept verbatim.
            return ".".join(named + parts[index + 1 :])
    return ".".join(named)


def _field_errors(problem: Problem) -> list[FieldError]:
    return [
        FieldError(
            field=argument_path(str(error.get("field", ""))),
            rule=str(error.get("rule", "invalid")),
            message=str(error.get("message", "")),
        )
        for error in problem.errors or []
    ]


def failure_of(problem: Problem) -> Failure | None:
    """The typed result of an expected problem; None for one that stays an error."""
    if isinstance(problem, InvalidInput):
        return ValidationFailed(message=problem.detail, errors=_field_errors(problem))
    if isinstance(problem, NotFound):
        return NotFoundResult(message=problem.detail)
    if isinstance(problem, Forbidden):
        return ForbiddenResult(message=problem.detail, errors=_field_errors(problem))
    if problem.status == 409:
        extensions = problem.extensions
        retry_after = extensions.get("retry_after")
        return ConflictResult(
            message=problem.detail,
            type=TYPE_BASE + problem.type_slug,
            errors=_field_errors(problem),
            current_stage=extensions.get("current_stage"),
            allowed_stages=list(extensions.get("allowed_next_stages") or []),
            current_status=extensions.get("current_status"),
            retry_after=retry_after if isinstance(retry_after, int) else None,
        )
    return None


async def mutate(
    context: SubgraphContext,
    work: Callable[[AsyncSession], Awaitable[T]],
    present: Callable[[T], P],
) -> P | Failure:
    """Run one root field's service call (``work``, which also parses the arguments) in its
    own savepoint and ``present`` its result; an expected problem rolls the savepoint back
    and comes back as its typed result."""
    try:
        async with context.database() as session, session.begin_nested():
            result = await work(session)
    except Problem as problem:
        failure = failure_of(problem)
        if failure is None:
            raise
        return failure
    context.writes += 1
    return present(result)


def plain_input(value: Any) -> Any:
    """An input object as the JSON a REST client would have sent: fields left out stay
    out (a partial update changes only what it names), ids are strings."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            item.name: plain_input(getattr(value, item.name))
            for item in dataclasses.fields(value)
            if getattr(value, item.name) is not strawberry.UNSET
        }
    if isinstance(value, list):
        return [plain_input(item) for item in value]
    if isinstance(value, enum.Enum):
        return value.value
    return value


def parse_input(model: type[M] | TypeAdapter[Any], value: Any) -> Any:
    """``value`` (an input object, or a list of them) validated by the REST body's model;
    an invalid one raises the REST route's 422, naming ``input.<field>``."""
    data = plain_input(value)
    try:
        if isinstance(model, TypeAdapter):
            return model.validate_python(data)
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid_from_pydantic(exc, prefix="body") from exc


def parse_model(model: type[M], value: Any) -> M:
    """``parse_input`` for a pydantic model, typed."""
    parsed: M = parse_input(model, value)
    return parsed
