"""Decimals as people write them: JSON (REST, events, GraphQL) never carries exponent
notation. ``str(Decimal)`` writes 900000 entered as 9.0e5 as "9.0E+5" and 0.0000001 as
"1E-7"; positional notation keeps the digits stored and drops only the exponent."""

from decimal import ROUND_HALF_EVEN, Context, Decimal
from typing import Annotated

from pydantic import PlainSerializer


def rounded_to(value: Decimal, step: Decimal, rounding: str) -> Decimal:
    """``value`` quantized to ``step`` (0.1, 0.000001 ...) however large it is: the default
    context's 28 digits cannot hold 6 places of a figure of 10^22 or more, and quantizing it
    there raises InvalidOperation instead of rounding."""
    digits = max(value.adjusted(), 0) + 1 - int(step.as_tuple().exponent)
    return value.quantize(step, rounding=rounding, context=Context(prec=max(28, digits)))


def plain_text(value: Decimal) -> str:
    """Positional notation: 900000 for 9.0E+5, 0.0000001 for 1E-7, 12.50 stays 12.50."""
    return format(value, "f")


# For response and event fields: serialised to JSON as a plain decimal string. In a union
# with bool, name bool first: a function serialiser cannot tell True from a Decimal.
PlainDecimal = Annotated[Decimal, PlainSerializer(plain_text, return_type=str, when_used="json")]


def rounded(value: Decimal | float | None, digits: int) -> float | None:
    """A published figure rounded half to even on the decimal it stands for. round() works
    on the binary float, which takes 12.35 (stored as 12.3499...) down to 12.3; a share is
    best passed as an exact Decimal fraction, a float from the database is read as the
    shortest decimal that gives it back. However large (a relative change of 10^29 %), it
    is rounded, never refused (``rounded_to``)."""
    if value is None:
        return None
    exact = value if isinstance(value, Decimal) else Decimal(repr(float(value)))
    return float(rounded_to(exact, Decimal(1).scaleb(-digits), ROUND_HALF_EVEN))
