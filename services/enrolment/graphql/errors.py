"""GraphQL errors: domain problems carry ``extensions.code``; anything unexpected is masked."""

from collections.abc import Iterator
from typing import Any
from uuid import UUID

from graphql import GraphQLError
from pydantic import TypeAdapter, ValidationError
from strawberry.extensions import MaskErrors, SchemaExtension

from shared.geo import CountryCode
from shared.problems import (
    TYPE_BASE,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    Problem,
    Unauthenticated,
    field_error,
)

INTERNAL_ERROR_CODE = "INTERNAL_SERVER_ERROR"

# Apollo's names where one exists, so gateways and clients recognise them.
_CODES: dict[type[Problem], str] = {
    InvalidInput: "BAD_USER_INPUT",
    Unauthenticated: "UNAUTHENTICATED",
    Forbidden: "FORBIDDEN",
    NotFound: "NOT_FOUND",
    Conflict: "CONFLICT",
}


def error_code(problem: Problem) -> str:
    for cls in type(problem).__mro__:
        if cls in _CODES:
            return _CODES[cls]
    return problem.type_slug.upper().replace("-", "_")


def problem_extensions(problem: Problem) -> dict[str, Any]:
    """The same facts the REST problem details carry, under a GraphQL error code."""
    extensions: dict[str, Any] = {
        "code": error_code(problem),
        "status": problem.status,
        "type": TYPE_BASE + problem.type_slug,
    }
    if problem.errors:
        extensions["errors"] = problem.errors
    extensions.update(problem.extensions)
    return extensions


def is_expected(error: GraphQLError) -> bool:
    """Domain problems and GraphQL's own parse/validation errors are shown as they are."""
    original = error.original_error
    return original is None or isinstance(original, Problem | GraphQLError)


class ProblemCodes(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        for error in (result.errors if result is not None else None) or []:
            if isinstance(error.original_error, Problem):
                error.extensions = {
                    **(error.extensions or {}),
                    **problem_extensions(error.original_error),
                }


class MaskUnexpectedErrors(MaskErrors):
    """Hides messages of unexpected exceptions (they may hold SQL, paths or secrets)."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=lambda error: not is_expected(error))

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        masked = super().anonymise_error(error)
        masked.extensions = {"code": INTERNAL_ERROR_CODE}
        return masked


def parse_id(value: str, field: str) -> UUID:
    try:
        return UUID(value)
    except ValueError as exc:
        raise InvalidInput(
            f"'{value}' is not a valid id",
            errors=[field_error(field, "uuid", "must be a UUID", value)],
        ) from exc


_country = TypeAdapter(CountryCode)


def parse_country(value: str, field: str) -> str:
    try:
        return _country.validate_python(value)
    except ValidationError as exc:
        message = str(exc.errors()[0].get("msg", "not a country code"))
        raise InvalidInput(
            f"'{value}' is not an ISO 3166-1 alpha-2 country code",
            errors=[field_error(field, "country", message, value)],
        ) from exc
