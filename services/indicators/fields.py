"""Field types the indicators contracts share (dates not in the future, slugs, codes, money),
and the one rounding of percentages their answers use."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from shared.decimals import rounded

# The earliest and latest UTC offsets in use; a date is "in the future" only when it is
# after today everywhere, so a meeting recorded in Karachi shortly after midnight is not
# refused because it is still yesterday in UTC.
_LATEST_OFFSET = timedelta(hours=14)


def latest_today() -> date:
    """Today's date where the day is furthest ahead (UTC+14)."""
    return (datetime.now(UTC) + _LATEST_OFFSET).date()


def not_in_future(value: date) -> date:
    if value > latest_today():
        raise PydanticCustomError(
            "date_in_future", "{value} is in the future", {"value": value.isoformat()}
        )
    return value


PastDate = Annotated[date, AfterValidator(not_in_future)]
Slug = Annotated[str, Field(min_length=2, max_length=60, pattern=r"^[a-z0-9_]+$")]
ModuleCode = Annotated[
    str,
    Field(min_length=2, max_length=40, pattern=r"^[a-z0-9_]+$", examples=["workplace_cooperation"]),
]
PersonName = Annotated[str, Field(min_length=2, max_length=200)]
PhotoReference = Annotated[
    str,
    Field(
        min_length=1,
        max_length=500,
        description="A URI or a storage key of the photo",
        examples=["s3://score-photos/pk/warehouse-before.jpg"],
    ),
]
# A figure indicator values and their bounds carry: what a numeric(40, 20) column holds.
# Nothing a SCORE indicator counts, measures or costs comes near it, while the unbounded
# decimal it replaces let "1e131072" through to be stored as 0 by the database driver and
# "1e999999999" fail the write.
Figure = Annotated[Decimal, Field(max_digits=40, decimal_places=20, allow_inf_nan=False)]
Money = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=2, examples=["150000.00"])]
Headcount = Annotated[int, Field(ge=0, le=10_000)]


def percent(part: int, whole: int) -> float | None:
    return rounded(Decimal(100 * part) / whole, 1) if whole else None
