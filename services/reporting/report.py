"""The shape every report answers in, so any report can be exported, charted or paged alike.

A report is a table: dimension columns (what a row is about: country, partner, module...)
and measure columns (n, % improved, median change...). Every row carries the n behind its
figures; rows suppressed for small groups keep their dimensions, say why, and carry no
figures. ``method`` says in words how the figures were computed, so a published number can
be reproduced.
"""

from collections.abc import Awaitable, Callable
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field
from sqlmodel.ext.asyncio.session import AsyncSession

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


ReportQuery = Callable[[AsyncSession, Principal, dict[str, Any]], Awaitable[ReportTable]]
"""Computes one report for a caller from query parameters (already validated strings)."""

# Every report the service can compute, by name; exports and charts look reports up here.
# Each report module registers itself (``REPORTS["impact"] = impact_report``) on import.
REPORTS: dict[str, ReportQuery] = {}
