"""The shape every report answers in, so any report can be exported, charted or paged alike.

A report is a table: dimension columns (what a row is about: country, partner, module...)
and measure columns (n, % improved, median change...). Every row carries the n behind its
figures; rows suppressed for small groups keep their dimensions, say why, and carry no
figures. ``method`` says in words how the figures were computed, so a published number can
be reproduced.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from pydantic import BaseModel, Field
from sqlmodel.ext.asyncio.session import AsyncSession

from services.reporting.params import Dimension, group_key
from shared.identity import Principal


class ColumnKind(StrEnum):
    dimension = "dimension"  # what the row is about (a country code, a partner's name...)
    integer = "integer"  # a whole number (n, enterprises, participants)
    percent = "percent"  # 0-100
    number = "number"  # any other figure (a median change, a ratio)
    text = "text"
    date = "date"


class ReportColumn(BaseModel):
    key: str
    label: str
    kind: ColumnKind
    description: str | None = None


class ReportTable(BaseModel):
    report: str = Field(description="Machine name of the report, e.g. 'impact'")
    title: str
    method: str = Field(description="How the figures are computed, in words")
    filters: dict[str, Any] = Field(default_factory=dict)
    group_by: list[str] = Field(default_factory=list)
    columns: list[ReportColumn]
    rows: list[dict[str, Any]]
    min_group_size: int | None = Field(
        default=None, description="Groups smaller than this are suppressed for this caller"
    )
    suppressed_rows: int = 0
    generated_at: datetime
    # How far the read models had got in each feed when the report was computed.
    data_as_of: dict[str, int] = Field(default_factory=dict)


class ReportRun(Protocol):
    """Computes one report for a caller from its validated parameters."""

    async def __call__(
        self,
        session: AsyncSession,
        principal: Principal,
        params: Any,
        *,
        min_group_size: int,
    ) -> ReportTable: ...


@dataclass(frozen=True)
class Report:
    """A report as exports and charts find it: its parameters' model and how to run it."""

    params: type[BaseModel]
    run: ReportRun


# Every report the service can compute, by name; exports and charts look reports up here.
# Each report's service registers it (``REPORTS["impact"] = Report(ImpactParams, ...)``).
REPORTS: dict[str, Report] = {}


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
