"""Field types of the services' contracts that mean the same everywhere."""

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from pydantic import AfterValidator, AwareDatetime, BaseModel, Field, StringConstraints
from pydantic_core import PydanticCustomError

from shared.decimals import PlainDecimal

# Why someone did something (a transition, a withdrawal, a policy change): stated, not blank.
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


def _in_utc_range(value: datetime) -> datetime:
    # Stored as UTC: 9999-12-31T23:59:59-14:00 is past the last instant a datetime (and so
    # the database driver) holds, and failed the write with a 500.
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise PydanticCustomError(
            "datetime_range",
            "{value} is outside the years 1 to 9999 in UTC",
            {"value": value.isoformat()},
        ) from None
    return value


# An instant: a date-time with its UTC offset, within the years 1 to 9999 in UTC.
Instant = Annotated[AwareDatetime, AfterValidator(_in_utc_range)]


class SummedPart(BaseModel):
    """A validated part of a count or amount recorded without its total, summed to stand for
    it: in a derived value's lineage (indicators) and in a matched pair's side (reporting)."""

    value_id: UUID = Field(description="The validated part (see /indicators/values)")
    version: int = Field(description="Its version: the latest validated one of its slot")
    part: str = Field(description="The sex (female, male, other, not_disclosed) or role part")
    value: PlainDecimal
