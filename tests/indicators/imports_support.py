"""Helpers for import tests: indicators and a round written directly, files built in memory."""

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from uuid import UUID

from openpyxl import Workbook, load_workbook
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.indicators.catalogue.models import Indicator
from services.indicators.rounds.models import MeasurementRound
from services.indicators.values.models import IndicatorValue

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def add_indicator(
    session: AsyncSession,
    code: str,
    *,
    kind: str,
    unit: str = "",
    direction: str = "up",
    disaggregations: Sequence[str] = (),
    min_value: Decimal | None = None,
    max_value: Decimal | None = None,
) -> Indicator:
    indicator = Indicator(
        code=code,
        name_en=code.replace("_", " ").capitalize(),
        name_fr=code,
        name_es=code,
        kind=kind,
        unit=unit,
        direction=direction,
        min_value=min_value,
        max_value=max_value,
        disaggregations=list(disaggregations),
    )
    session.add(indicator)
    await session.flush()
    return indicator


async def add_round(
    session: AsyncSession, project_id: UUID, *, kind: str = "baseline", name: str = "Baseline 2024"
) -> MeasurementRound:
    measurement_round = MeasurementRound(
        project_id=project_id,
        kind=kind,
        sequence=1,
        name=name,
        starts_on=date(2024, 1, 1),
        ends_on=date(2024, 3, 31),
    )
    session.add(measurement_round)
    await session.flush()
    return measurement_round


@dataclass
class Catalogue:
    """Three indicators of the three shapes an import meets."""

    defects: Indicator  # a count, by sex
    five_s: Indicator  # a percentage, total only
    osh_policy: Indicator  # a yes/no practice


async def add_catalogue(session: AsyncSession) -> Catalogue:
    return Catalogue(
        defects=await add_indicator(
            session,
            "imp_defects",
            kind="count",
            unit="pieces",
            direction="down",
            disaggregations=["sex"],
            min_value=Decimal(0),
        ),
        five_s=await add_indicator(
            session,
            "imp_five_s_score",
            kind="percentage",
            unit="%",
        ),
        osh_policy=await add_indicator(session, "imp_osh_policy", kind="yes_no"),
    )


def xlsx_file(header: Sequence[str], rows: Sequence[Sequence[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "values"
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_file(header: Sequence[str], rows: Sequence[Sequence[object]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(["" if cell is None else str(cell) for cell in row] for row in rows)
    return buffer.getvalue().encode()


def xlsx_rows(data: bytes, sheet: str = "values") -> list[list[object]]:
    workbook = load_workbook(io.BytesIO(data), read_only=True)
    try:
        rows: list[list[object]] = [
            list(row) for row in workbook[sheet].iter_rows(values_only=True)
        ]
    finally:
        workbook.close()
    # Trailing empty cells are not stored: give every row the header's width.
    width = max((len(row) for row in rows), default=0)
    return [row + [None] * (width - len(row)) for row in rows]


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


async def stored_values(
    session: AsyncSession, enterprise_id: UUID, *, current_only: bool = True
) -> int:
    statement = select(func.count()).where(col(IndicatorValue.enterprise_id) == enterprise_id)
    if current_only:
        statement = statement.where(col(IndicatorValue.is_current).is_(True))
    return (await session.exec(statement)).one()
