"""The filters and breakdown every report takes, as one FastAPI query model.

FastAPI validates the query string against ``ReportParams`` (or a report's subclass that
adds its own parameters) before a report runs: repeated and comma-separated values alike
(``?country=PK,GH&country=BD``), each value checked and named by its parameter when wrong,
and an unknown parameter refused rather than ignored (``extra="forbid"``): a misspelt
filter (``contry``) would otherwise return unfiltered figures that look filtered.
"""

from collections.abc import Callable, Sequence
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, TypeVar, get_origin
from uuid import UUID

from fastapi import Depends, Request
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)
from pydantic_core import PydanticCustomError

from services.reporting.settings import ReportingSettings
from shared.enums import LifecycleStage
from shared.geo import CountryCode
from shared.problems import invalid_query


class Dimension(StrEnum):
    module = "module"
    country = "country"
    project = "project"
    partner = "partner"
    sector = "sector"
    period = "period"
    stage = "stage"
    # Breakdown only (no filter): the female and male parts of sex-disaggregated data.
    sex = "sex"


class PeriodGrain(StrEnum):
    month = "month"
    quarter = "quarter"
    year = "year"


def group_key(dimension: Dimension) -> str:
    """The row key a dimension's value is reported under (ids for projects and partners)."""
    return {Dimension.project: "project_id", Dimension.partner: "partner_id"}.get(
        dimension, dimension.value
    )


# --- one value -----------------------------------------------------------------------------


def _choice(enum: type[StrEnum], rule: str, allowed: str) -> Callable[[Any], Any]:
    def parse(value: Any) -> Any:
        try:
            return enum(value)
        except ValueError:
            raise PydanticCustomError(
                rule, "{allowed}", {"allowed": f"{allowed}: {', '.join(enum)}"}
            ) from None

    return parse


def _uuid(value: Any) -> UUID:
    try:
        return value if isinstance(value, UUID) else UUID(str(value))
    except ValueError:
        raise PydanticCustomError("uuid", "a UUID") from None


def _country(value: Any) -> str:
    try:
        return _COUNTRY.validate_python(value)
    except ValidationError:
        raise PydanticCustomError("iso_3166_alpha_2", "an ISO 3166-1 alpha-2 code") from None


def _word(value: Any) -> str:
    if len(str(value)) > 60:
        raise PydanticCustomError("max_length", "at most 60 characters")
    return str(value)


def _date(value: Any) -> Any:
    if isinstance(value, date) or value is None:
        return value
    if "," in str(value):
        raise PydanticCustomError("single_value", "give one value")
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise PydanticCustomError("date", "an ISO date (YYYY-MM-DD)") from None


def _grain(value: Any) -> Any:
    if "," in str(value):
        raise PydanticCustomError("single_value", "give one value")
    return _choice(PeriodGrain, "enum", "allowed")(value)


_COUNTRY: TypeAdapter[str] = TypeAdapter(CountryCode)


# --- lists ---------------------------------------------------------------------------------


def split(raw: Any) -> Any:
    """Repeated parameters and comma-separated lists both work: ?country=PK,GH&country=BD."""
    if raw is None:
        return ()
    items = [raw] if isinstance(raw, str) else list(raw)
    return tuple(part.strip() for item in items for part in str(item).split(",") if part.strip())


def unique(values: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(dict.fromkeys(values))


def _named_once(values: tuple[Any, ...]) -> tuple[Any, ...]:
    if len(set(values)) != len(values):
        raise PydanticCustomError("duplicate", "named twice")
    return values


def strings(description: str | None = None) -> WithJsonSchema:
    # The documented shape is the query string's: strings, each checked as described.
    schema: dict[str, Any] = {
        "anyOf": [{"items": {"type": "string"}, "type": "array"}, {"type": "null"}]
    }
    if description is not None:
        schema["description"] = description
    return WithJsonSchema(schema)


def string(description: str) -> WithJsonSchema:
    return WithJsonSchema(
        {"anyOf": [{"type": "string"}, {"type": "null"}], "description": description}
    )


_GROUP_BY = (
    "Break down by: " + ", ".join(d.value for d in Dimension) + " (repeat or comma-separate)"
)
_GRAIN = "Period rows by month, quarter or year (default)"
_FROM = "First day (YYYY-MM-DD)"
_TO = "Last day (YYYY-MM-DD)"
_MODULE = "Module codes"
_COUNTRY_TEXT = "ISO 3166-1 alpha-2"
_PROJECT = "Project ids"
_PARTNER = "Partner organisation ids"
_SECTOR = "Sectors"
_STAGE = "Lifecycle stages"

if TYPE_CHECKING:
    DimensionName = Dimension
else:
    # A string checked and turned into a Dimension by the validator: FastAPI documents a
    # query model from its fields' plain types, so an enum here would add an unused
    # component to the OpenAPI; the type checker sees what the validator returns.
    DimensionName = Annotated[
        str, AfterValidator(_choice(Dimension, "unknown_dimension", "allowed dimensions"))
    ]
Dimensions = Annotated[
    tuple[DimensionName, ...], BeforeValidator(split), AfterValidator(_named_once)
]
Ids = Annotated[
    tuple[Annotated[UUID, BeforeValidator(_uuid)], ...],
    BeforeValidator(split),
    AfterValidator(unique),
]
Countries = Annotated[
    tuple[Annotated[str, BeforeValidator(_country)], ...],
    BeforeValidator(split),
    AfterValidator(unique),
]
Words = Annotated[
    tuple[Annotated[str, BeforeValidator(_word)], ...],
    BeforeValidator(split),
    AfterValidator(unique),
]
Codes = Annotated[tuple[str, ...], BeforeValidator(split), AfterValidator(unique)]
"""Codes (indicators, metrics) of a report's own parameter, repeated or comma-separated."""
Stages = Annotated[
    tuple[
        Annotated[
            str,
            BeforeValidator(lambda v: _choice(LifecycleStage, "enum", "allowed stages")(v).value),
        ],
        ...,
    ],
    BeforeValidator(split),
    AfterValidator(unique),
]


class ReportParams(BaseModel):
    """Validated filters and breakdown of one report request (the query string of every
    report; a report with parameters of its own subclasses it)."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_by_name=True)

    group_by: Annotated[Dimensions, strings(_GROUP_BY)] = Field(
        default_factory=tuple, description=_GROUP_BY
    )
    period_grain: Annotated[PeriodGrain, BeforeValidator(_grain), string(_GRAIN)] = Field(
        default_factory=lambda: PeriodGrain.year, description=_GRAIN
    )
    date_from: Annotated[date | None, BeforeValidator(_date), string(_FROM)] = Field(
        default=None, alias="from", description=_FROM
    )
    date_to: Annotated[date | None, BeforeValidator(_date), string(_TO)] = Field(
        default=None, alias="to", description=_TO
    )
    modules: Annotated[Words, strings(_MODULE)] = Field(
        default_factory=tuple, alias="module", description=_MODULE
    )
    countries: Annotated[Countries, strings(_COUNTRY_TEXT)] = Field(
        default_factory=tuple, alias="country", description=_COUNTRY_TEXT
    )
    projects: Annotated[Ids, strings(_PROJECT)] = Field(
        default_factory=tuple, alias="project", description=_PROJECT
    )
    partners: Annotated[Ids, strings(_PARTNER)] = Field(
        default_factory=tuple, alias="partner", description=_PARTNER
    )
    sectors: Annotated[Words, strings(_SECTOR)] = Field(
        default_factory=tuple, alias="sector", description=_SECTOR
    )
    stages: Annotated[Stages, strings(_STAGE)] = Field(
        default_factory=tuple, alias="stage", description=_STAGE
    )

    @field_validator("date_to")
    @classmethod
    def _not_before_from(cls, value: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("date_from")
        if value is not None and start is not None and value < start:
            raise PydanticCustomError("after_from", "must not be before 'from'")
        return value

    def values(self, dimension: Dimension) -> tuple[Any, ...]:
        """The values a dimension is filtered to (empty: not filtered)."""
        return {
            Dimension.module: self.modules,
            Dimension.country: self.countries,
            Dimension.project: self.projects,
            Dimension.partner: self.partners,
            Dimension.sector: self.sectors,
            Dimension.stage: self.stages,
            Dimension.period: (),
            Dimension.sex: (),
        }[dimension]

    def filtered(self, dimension: Dimension) -> bool:
        if dimension is Dimension.period:
            return self.date_from is not None or self.date_to is not None
        return bool(self.values(dimension))

    def uses(self, dimension: Dimension) -> bool:
        """Whether the request filters or breaks down by the dimension."""
        return dimension in self.group_by or self.filtered(dimension)

    def echo(self) -> dict[str, Any]:
        """The filters as a report states them (JSON-friendly, only those given)."""
        echo: dict[str, Any] = {}
        for dimension in FILTERS:
            if values := self.values(dimension):
                echo[dimension.value] = [str(value) for value in values]
        if self.date_from is not None:
            echo["from"] = self.date_from.isoformat()
        if self.date_to is not None:
            echo["to"] = self.date_to.isoformat()
        if Dimension.period in self.group_by:
            echo["period_grain"] = self.period_grain.value
        return echo


FILTERS = (
    Dimension.module,
    Dimension.country,
    Dimension.project,
    Dimension.partner,
    Dimension.sector,
    Dimension.stage,
)


M = TypeVar("M", bound=BaseModel)


def parse_query(model: type[M], query: Sequence[tuple[str, str]]) -> M:
    """A query model validated from a raw query string's items, for a route that learns from
    its path which report (and so which parameters) it serves: the same rules and the same
    422 as a query model FastAPI validates."""
    raw: dict[str, list[str]] = {}
    for name, value in query:
        raw.setdefault(name, []).append(value)
    fields = {field.alias or name: field for name, field in model.model_fields.items()}
    data = {
        name: values
        if name in fields and get_origin(fields[name].annotation) is tuple
        # A repeated single-valued parameter: the last one, as FastAPI reads it.
        else values[-1]
        for name, values in raw.items()
    }
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid_query(exc, allowed=list(fields)) from exc


def min_group_size(request: Request) -> int:
    """The service's minimum group size: a setting, never a request parameter (a caller
    cannot lower it by adding ``?min_group_size=1``: the report's query model refuses it)."""
    settings: ReportingSettings = request.app.state.settings
    return settings.min_group_size


MinGroupSize = Annotated[int, Depends(min_group_size)]
