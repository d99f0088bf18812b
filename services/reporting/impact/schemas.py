"""Impact contracts: the report's own parameters and the explanation of a figure."""

from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, BeforeValidator, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from services.reporting.params import Codes, ReportParams, strings
from shared.decimals import PlainDecimal
from shared.enums import Sex
from shared.schemas import SummedPart

SEXES = tuple(sex.value for sex in Sex)
_INDICATORS = "Indicator codes (default: every indicator)"
_INDICATOR = "The indicator code of the figure"
_SEX = "female, male, other or not_disclosed: a sex part's figure (group_by=sex)"


class _Indicators(BaseModel):
    indicator: Annotated[Codes, strings(_INDICATORS)] = Field(
        default_factory=tuple, description=_INDICATORS
    )


class ImpactParams(ReportParams, _Indicators):
    """The impact report's query: the common filters and breakdown, and which indicators."""


def _one_code(value: Any) -> Any:
    if isinstance(value, str) and "," in value:
        raise PydanticCustomError("one_indicator", "one code")
    return value


def _sex(value: Any) -> Any:
    if value not in SEXES:
        raise PydanticCustomError("enum", "one of {sexes}", {"sexes": ", ".join(SEXES)})
    return value


class _Figure(BaseModel):
    indicator: Annotated[
        str,
        BeforeValidator(_one_code),
        WithJsonSchema({"type": "string", "description": _INDICATOR}),
    ] = Field(description=_INDICATOR)
    sex: Annotated[
        str | None,
        BeforeValidator(_sex),
        WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "null"}], "description": _SEX}),
    ] = Field(default=None, description=_SEX)


class PairsParams(ReportParams, _Figure):
    """Which figure to explain: one indicator (and sex part), filtered like the report."""


class PairSide(BaseModel):
    value_id: UUID | None = Field(
        description="The validated value counted (see /indicators/values); null when the "
        "side is derived from parts"
    )
    version: int | None = Field(
        description="Its version: the latest validated one of its slot; null when derived"
    )
    value: bool | PlainDecimal | None
    derived_from_parts: bool = Field(
        default=False,
        description="No total was recorded for the round: the side is the sum of its validated "
        "parts (counts and amounts only; sex parts, or role parts of an indicator given by "
        "role only), listed in parts",
    )
    parts: list[SummedPart] = Field(
        default_factory=list, description="The parts summed, when derived_from_parts"
    )


class MatchedPair(BaseModel):
    enterprise_id: UUID
    enterprise_name: str | None
    project_id: UUID
    sex: str | None = Field(description="The sex part paired; null: the total")
    baseline: PairSide
    endline: PairSide
    change: PlainDecimal | None = Field(description="endline - baseline (numeric indicators)")
    relative_change_pct: PlainDecimal | None = Field(
        description="(endline - baseline) / |baseline| x 100, 1 decimal; null for a 0 baseline"
    )
    improved: bool | None = Field(description="Moved in the indicator's desired direction")


class ImpactExplanation(BaseModel):
    indicator: str
    filters: dict[str, Any]
    n: int = Field(description="Matched pairs: the n of the impact figure with these filters")
    improved: int = Field(description="Of them, improved in the desired direction")
    pairs: list[MatchedPair]
    method: str
