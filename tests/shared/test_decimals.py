"""Published figures round half to even on the decimal they stand for, in every service."""

from decimal import Decimal

import pytest

from services.indicators.fields import percent
from shared.decimals import rounded


@pytest.mark.parametrize(
    ("value", "digits", "expected"),
    [
        (Decimal(247 * 100) / 2000, 1, 12.4),  # 12.35 exactly
        (12.35, 1, 12.4),  # the float 12.3499..., read as the 12.35 it stands for
        (0.25, 1, 0.2),  # half to even
        (-57.45, 1, -57.4),
        (Decimal("9.375"), 1, 9.4),
        (-330.00005, 4, -330.0),
        (None, 1, None),
    ],
)
def test_rounded_is_half_to_even_on_the_decimal_a_figure_stands_for(
    value: Decimal | float | None, digits: int, expected: float | None
) -> None:
    assert rounded(value, digits) == expected


def test_indicators_percentages_round_as_reporting_does() -> None:
    # 247 of 2000 participants satisfied: reporting's satisfaction rate says 12.4.
    assert percent(247, 2000) == 12.4
    assert percent(0, 0) is None
