"""GraphQL argument parsing specific to the enrolment subgraph (the rest is shared.graphql)."""

from pydantic import TypeAdapter, ValidationError

from shared.geo import CountryCode
from shared.problems import InvalidInput, field_error

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
