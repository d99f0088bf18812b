"""The SQL every report shares: a request's filters and breakdown as WHERE conditions and
GROUP BY columns over a report's own facts, and the names of the groups' projects and
partners.

A report maps each dimension to a SQL expression over its facts (``DimensionSql``); the
request's parameters (``services.reporting.params``) are already validated.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Label, func, literal_column
from sqlalchemy import select as sa_select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.reporting.params import Dimension, PeriodGrain, ReportParams, group_key
from services.reporting.readmodels.models import RmOrganisation, RmProject
from shared.problems import InvalidInput, field_error

_PERIOD_FORMATS = {
    PeriodGrain.month: "YYYY-MM",
    PeriodGrain.quarter: 'YYYY-"Q"Q',
    PeriodGrain.year: "YYYY",
}


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


def _param_of(dimension: Dimension) -> str:
    return "from" if dimension is Dimension.period else dimension.value


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
