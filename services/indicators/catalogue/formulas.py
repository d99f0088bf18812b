"""Derived indicators: computing a formula's value from the values of its input indicators."""

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from services.indicators.catalogue.schemas import Formula


def derive(
    formula: Formula | Mapping[str, Any], inputs: Mapping[str, Decimal | None]
) -> Decimal | None:
    """``numerator / denominator * multiplier`` from input values keyed by indicator code.

    ``formula`` is a :class:`Formula` or the mapping stored in ``Indicator.formula``.
    ``inputs`` holds the values of the same slot (enterprise, round or month, and the same
    sex / role part) for the formula's two input codes; extra keys are ignored.

    Returns None, never a guess, when an input is missing or None, or when the denominator
    is 0 (no pieces checked: the defect rate is unknown, not 0). The result is not rounded
    (decimal context precision); round for display, not before comparing or aggregating.

    >>> derive({"numerator": "defects", "denominator": "pieces_checked", "multiplier": 100},
    ...        {"defects": Decimal(12), "pieces_checked": Decimal(400)})
    Decimal('3')
    """
    parsed = formula if isinstance(formula, Formula) else Formula.model_validate(formula)
    numerator = inputs.get(parsed.numerator)
    denominator = inputs.get(parsed.denominator)
    if numerator is None or denominator is None or denominator == 0:
        return None
    # Multiply first: 1 / 3 * 100 would carry the rounding of 1 / 3 into the result.
    return numerator * parsed.multiplier / denominator
