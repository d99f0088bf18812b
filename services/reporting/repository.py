"""The dimensions every report is filtered and broken down by, parsed and validated once.

A report maps each dimension to a SQL expression over its own facts; this module turns the
caller's query parameters into WHERE conditions and GROUP BY columns on those expressions.
"""

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, cast
from uuid import UUID

from fastapi import Depends, Query, Request
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError
from sqlalchemy import ColumnElement, Label, func, literal_column
from sqlalchemy import select as sa_select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.reporting.readmodels.models import RmOrganisation, RmProject
from services.reporting.report import ColumnKind, ReportColumn
from shared.enums import LifecycleStage
from shared.geo import CountryCode
from shared.problems import InvalidInput, field_error


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


# Query parameters shared by every report; a report may accept a few more of its own.
FILTER_PARAMS: dict[str, Dimension] = {
    "module": Dimension.module,
    "country": Dimension.country,
    "project": Dimension.project,
    "partner": Dimension.partner,
    "sector": Dimension.sector,
    "stage": Dimension.stage,
}
COMMON_PARAMS = ("group_by", "period_grain", "from", "to", *FILTER_PARAMS)

_PERIOD_FORMATS = {
    PeriodGrain.month: "YYYY-MM",
    PeriodGrain.quarter: 'YYYY-"Q"Q',
    PeriodGrain.year: "YYYY",
}


class ReportParams(BaseModel):
    """Validated filters and breakdown of one report request."""

    model_config = ConfigDict(frozen=True)

    group_by: tuple[Dimension, ...] = ()
    period_grain: PeriodGrain = PeriodGrain.year
    modules: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    projects: tuple[UUID, ...] = ()
    partners: tuple[UUID, ...] = ()
    sectors: tuple[str, ...] = ()
    stages: tuple[str, ...] = ()
    date_from: date | None = None
    date_to: date | None = None

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
        for name, dimension in FILTER_PARAMS.items():
            if values := self.values(dimension):
                echo[name] = [str(value) for value in values]
        if self.date_from is not None:
            echo["from"] = self.date_from.isoformat()
        if self.date_to is not None:
            echo["to"] = self.date_to.isoformat()
        if Dimension.period in self.group_by:
            echo["period_grain"] = self.period_grain.value
        return echo


@dataclass(frozen=True)
class DimensionSql:
    """How one report's facts answer a dimension.

    ``column`` is what rows are grouped by. ``match`` builds the filter condition for a
    set of values when plain ``column IN (...)`` is wrong - a dimension with several
    values per fact (the modules an enterprise took) is filtered with EXISTS so the fact
    is not counted once per match.
    """

    column: ColumnElement[Any]
    match: Callable[[Sequence[Any]], ColumnElement[bool]] | None = None


@dataclass(frozen=True)
class Breakdown:
    """WHERE conditions and GROUP BY columns for one request over one report's facts."""

    conditions: list[ColumnElement[bool]] = field(default_factory=list)
    groups: list[Label[Any]] = field(default_factory=list)


def column_of(attribute: Any) -> ColumnElement[Any]:
    """A model attribute as the SQL column it is at run time (SQLModel types it as its
    Python value type)."""
    return cast("ColumnElement[Any]", attribute)


def period_label(column: ColumnElement[Any], grain: PeriodGrain) -> ColumnElement[str]:
    """A date as the period it falls in: '2024', '2024-Q2' or '2024-03'."""
    return func.to_char(column, literal_column(f"'{_PERIOD_FORMATS[grain]}'"))


def breakdown(
    params: ReportParams, dimensions: Mapping[Dimension, DimensionSql], *, report: str
) -> Breakdown:
    """Conditions and groups for ``params`` over the dimensions a report supports.

    Asking a report for a dimension it has no data for is a client error, not an empty
    answer: the caller learns which dimensions that report supports.
    """
    unsupported = [d for d in Dimension if params.uses(d) and d not in dimensions]
    if unsupported:
        allowed = ", ".join(d.value for d in Dimension if d in dimensions)
        raise InvalidInput(
            f"The {report} report cannot be filtered or broken down by "
            f"{', '.join(d.value for d in unsupported)}",
            errors=[
                field_error(
                    "query.group_by" if d in params.group_by else f"query.{_param_of(d)}",
                    "unsupported_dimension",
                    f"{report} supports: {allowed}",
                    d.value,
                )
                for d in unsupported
            ],
            allowed=[d.value for d in Dimension if d in dimensions],
        )
    result = Breakdown()
    for dimension, sql in dimensions.items():
        if dimension is Dimension.period:
            if params.date_from is not None:
                result.conditions.append(sql.column >= params.date_from)
            if params.date_to is not None:
                result.conditions.append(sql.column <= params.date_to)
            continue
        values = params.values(dimension)
        if values:
            condition = sql.match(values) if sql.match else sql.column.in_(values)
            result.conditions.append(condition)
    for dimension in params.group_by:
        column = dimensions[dimension].column
        if dimension is Dimension.period:
            column = period_label(column, params.period_grain)
        result.groups.append(column.label(group_key(dimension)))
    return result


def group_key(dimension: Dimension) -> str:
    """The row key a dimension's value is reported under (ids for projects and partners)."""
    return {Dimension.project: "project_id", Dimension.partner: "partner_id"}.get(
        dimension, dimension.value
    )


def _param_of(dimension: Dimension) -> str:
    return "from" if dimension is Dimension.period else dimension.value


# --- parsing ------------------------------------------------------------------------------

RawParams = Mapping[str, Any]

# The service's minimum group size travels with the parameters as an int, which no query
# string can produce: a caller cannot lower it by adding ``?min_group_size=1``.
MIN_GROUP_SIZE = "min_group_size"
DEFAULT_MIN_GROUP_SIZE = 5
_COUNTRY: TypeAdapter[str] = TypeAdapter(CountryCode)


def min_group_size_of(raw: RawParams) -> int:
    """The minimum group size the service set on the parameters (see ``query_params``)."""
    value = raw.get(MIN_GROUP_SIZE)
    return value if isinstance(value, int) and value >= 1 else DEFAULT_MIN_GROUP_SIZE


def _split(raw: str | Sequence[str] | None) -> list[str]:
    """Repeated parameters and comma-separated lists both work: ?country=PK,GH&country=BD."""
    if raw is None:
        return []
    items = [raw] if isinstance(raw, str) else list(raw)
    return [part.strip() for item in items for part in item.split(",") if part.strip()]


def _single(raw: str | Sequence[str] | None, name: str, errors: list[dict[str, Any]]) -> str | None:
    values = _split(raw)
    if len(values) > 1:
        errors.append(field_error(f"query.{name}", "single_value", "give one value", values))
        return None
    return values[0] if values else None


def _date(raw: str | None, name: str, errors: list[dict[str, Any]]) -> date | None:
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors.append(field_error(f"query.{name}", "date", "an ISO date (YYYY-MM-DD)", raw))
        return None


def parse_report_params(
    raw: RawParams, *, extra: Collection[str] = ()
) -> tuple[ReportParams, dict[str, list[str]]]:
    """Validate the common parameters; returns them and the report's own ``extra`` ones.

    An unknown parameter is refused rather than ignored: a misspelt filter (``contry``)
    would otherwise return unfiltered figures that look filtered.
    """
    errors: list[dict[str, Any]] = []
    known = (*COMMON_PARAMS, *extra)
    for name, value in raw.items():
        if name == MIN_GROUP_SIZE and isinstance(value, int):
            continue
        if name not in known:
            errors.append(
                field_error(
                    f"query.{name}",
                    "unknown_parameter",
                    f"allowed parameters: {', '.join(known)}",
                    name,
                )
            )

    group_by: list[Dimension] = []
    for value in _split(raw.get("group_by")):
        try:
            dimension = Dimension(value)
        except ValueError:
            errors.append(
                field_error(
                    "query.group_by",
                    "unknown_dimension",
                    f"allowed dimensions: {', '.join(d.value for d in Dimension)}",
                    value,
                )
            )
            continue
        if dimension in group_by:
            errors.append(field_error("query.group_by", "duplicate", "named twice", value))
        else:
            group_by.append(dimension)

    grain = PeriodGrain.year
    if (grain_raw := _single(raw.get("period_grain"), "period_grain", errors)) is not None:
        try:
            grain = PeriodGrain(grain_raw)
        except ValueError:
            errors.append(
                field_error(
                    "query.period_grain",
                    "enum",
                    f"allowed: {', '.join(g.value for g in PeriodGrain)}",
                    grain_raw,
                )
            )

    countries: list[str] = []
    for value in _split(raw.get("country")):
        try:
            countries.append(_COUNTRY.validate_python(value))
        except ValidationError:
            errors.append(
                field_error(
                    "query.country", "iso_3166_alpha_2", "an ISO 3166-1 alpha-2 code", value
                )
            )

    ids: dict[str, list[UUID]] = {"project": [], "partner": []}
    for name, parsed in ids.items():
        for value in _split(raw.get(name)):
            try:
                parsed.append(UUID(value))
            except ValueError:
                errors.append(field_error(f"query.{name}", "uuid", "a UUID", value))

    stages: list[str] = []
    for value in _split(raw.get("stage")):
        if value in LifecycleStage.__members__:
            stages.append(value)
        else:
            errors.append(
                field_error(
                    "query.stage",
                    "enum",
                    f"allowed stages: {', '.join(LifecycleStage)}",
                    value,
                )
            )

    texts: dict[str, list[str]] = {"module": [], "sector": []}
    for name, words in texts.items():
        for value in _split(raw.get(name)):
            if len(value) > 60:
                errors.append(field_error(f"query.{name}", "max_length", "at most 60 characters"))
            else:
                words.append(value)

    date_from = _date(_single(raw.get("from"), "from", errors), "from", errors)
    date_to = _date(_single(raw.get("to"), "to", errors), "to", errors)
    if date_from and date_to and date_from > date_to:
        errors.append(
            field_error("query.to", "after_from", "must not be before 'from'", date_to.isoformat())
        )

    extras = {name: _split(raw.get(name)) for name in extra if name in raw}
    if errors:
        raise InvalidInput(
            f"The report request has {len(errors)} invalid parameter(s): "
            + ", ".join(dict.fromkeys(e["field"] for e in errors)),
            errors=errors,
        )
    params = ReportParams(
        group_by=tuple(group_by),
        period_grain=grain,
        modules=tuple(dict.fromkeys(texts["module"])),
        countries=tuple(dict.fromkeys(countries)),
        projects=tuple(dict.fromkeys(ids["project"])),
        partners=tuple(dict.fromkeys(ids["partner"])),
        sectors=tuple(dict.fromkeys(texts["sector"])),
        stages=tuple(dict.fromkeys(stages)),
        date_from=date_from,
        date_to=date_to,
    )
    return params, extras


# --- REST -------------------------------------------------------------------------------


def query_params(
    request: Request,
    group_by: Annotated[
        list[str] | None,
        Query(
            description="Break down by: "
            + ", ".join(d.value for d in Dimension)
            + " (repeat or comma-separate)"
        ),
    ] = None,
    # Strings here: every value is checked by parse_report_params, one set of rules.
    period_grain: Annotated[
        str | None, Query(description="Period rows by month, quarter or year (default)")
    ] = None,
    date_from: Annotated[
        str | None, Query(alias="from", description="First day (YYYY-MM-DD)")
    ] = None,
    date_to: Annotated[str | None, Query(alias="to", description="Last day (YYYY-MM-DD)")] = None,
    module: Annotated[list[str] | None, Query(description="Module codes")] = None,
    country: Annotated[list[str] | None, Query(description="ISO 3166-1 alpha-2")] = None,
    project: Annotated[list[str] | None, Query(description="Project ids")] = None,
    partner: Annotated[list[str] | None, Query(description="Partner organisation ids")] = None,
    sector: Annotated[list[str] | None, Query(description="Sectors")] = None,
    stage: Annotated[list[str] | None, Query(description="Lifecycle stages")] = None,
) -> dict[str, Any]:
    """Every query parameter as given, plus the service's minimum group size.

    The named parameters document the API; the parsing reads the raw query so unknown
    parameters are reported, not dropped. Any report in ``REPORTS`` takes the result.
    """
    del group_by, period_grain, date_from, date_to, module, country, project, partner
    del sector, stage
    return raw_report_params(request)


def raw_report_params(request: Request) -> dict[str, Any]:
    """The request's query as a report's ``params`` (for routers documenting their own)."""
    raw: dict[str, Any] = {}
    for name, value in request.query_params.multi_items():
        raw.setdefault(name, []).append(value)
    if MIN_GROUP_SIZE in raw:
        raise InvalidInput(
            "The minimum group size is the service's setting, not a request parameter",
            errors=[
                field_error(
                    f"query.{MIN_GROUP_SIZE}",
                    "not_allowed",
                    "set by the service (SCORE_REPORTING_MIN_GROUP_SIZE)",
                )
            ],
        )
    raw[MIN_GROUP_SIZE] = int(request.app.state.settings.min_group_size)
    return raw


ReportQueryParams = Annotated[dict[str, Any], Depends(query_params)]


# --- report tables ------------------------------------------------------------------------

_DIMENSION_LABELS = {
    Dimension.module: "Module",
    Dimension.country: "Country",
    Dimension.project: "Project",
    Dimension.partner: "Partner",
    Dimension.sector: "Sector",
    Dimension.period: "Period",
    Dimension.stage: "Stage",
    Dimension.sex: "Sex",
}


def dimension_columns(group_by: Sequence[Dimension]) -> list[ReportColumn]:
    """The leading columns of a report broken down by ``group_by`` (ids with names)."""
    columns: list[ReportColumn] = []
    for dimension in group_by:
        label = _DIMENSION_LABELS[dimension]
        if dimension in (Dimension.project, Dimension.partner):
            columns.append(
                ReportColumn(
                    key=group_key(dimension), label=f"{label} id", kind=ColumnKind.dimension
                )
            )
            columns.append(ReportColumn(key=dimension.value, label=label, kind=ColumnKind.text))
        else:
            columns.append(
                ReportColumn(key=dimension.value, label=label, kind=ColumnKind.dimension)
            )
    return columns


async def name_groups(
    session: AsyncSession, rows: Sequence[dict[str, Any]], group_by: Sequence[Dimension]
) -> None:
    """Add project and partner names beside their ids, in place (one query per kind)."""
    lookups: list[tuple[Dimension, Any]] = [
        (Dimension.project, RmProject),
        (Dimension.partner, RmOrganisation),
    ]
    for dimension, model in lookups:
        if dimension not in group_by:
            continue
        key = group_key(dimension)
        ids = {row[key] for row in rows if row.get(key) is not None}
        names: dict[Any, str] = {}
        if ids:
            result = await session.execute(sa_select(model.id, model.name).where(model.id.in_(ids)))
            names = {id_: name for id_, name in result.all()}
        for row in rows:
            row[dimension.value] = names.get(row.get(key))
