"""ISO 3166-1 country and ISO 4217 currency codes, validated against pycountry."""

from typing import Annotated

import pycountry
from pydantic import AfterValidator, Field


def _country(code: str) -> str:
    normalised = code.strip().upper()
    if len(normalised) != 2 or pycountry.countries.get(alpha_2=normalised) is None:
        raise ValueError(f"'{code}' is not an ISO 3166-1 alpha-2 country code")
    return normalised


def _currency(code: str) -> str:
    normalised = code.strip().upper()
    if len(normalised) != 3 or pycountry.currencies.get(alpha_3=normalised) is None:
        raise ValueError(f"'{code}' is not an ISO 4217 currency code")
    return normalised


CountryCode = Annotated[
    str,
    Field(min_length=2, max_length=2, examples=["PK"]),
    AfterValidator(_country),
]
CurrencyCode = Annotated[
    str,
    Field(min_length=3, max_length=3, examples=["PKR"]),
    AfterValidator(_currency),
]
