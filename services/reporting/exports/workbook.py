"""Any ReportTable as an XLSX workbook, typed by its columns' kinds.

Apart from formats.py so that openpyxl, a large import, is loaded by the first XLSX export
and not by every start of the reporting service."""

import io
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from services.reporting.exports.formats import (
    NUMERIC_KINDS,
    TEXT_KINDS,
    is_suppressed,
    suppression_note,
)
from services.reporting.report import ColumnKind, ReportColumn, ReportTable

_NUMBER_FORMATS = {
    ColumnKind.integer: "#,##0",
    ColumnKind.percent: "0.0",
    ColumnKind.number: "#,##0.###",
    ColumnKind.date: "yyyy-mm-dd",
}
REPORT_SHEET = "Report"
ABOUT_SHEET = "Method and filters"


def typed_value(value: Any, kind: ColumnKind) -> Any:
    """The cell value a spreadsheet can compute with: numbers as numbers, dates as dates."""
    if value is None:
        return None
    if kind in NUMERIC_KINDS:
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int | float | Decimal):
            return int(value) if kind is ColumnKind.integer else value
        number = Decimal(str(value))
        return int(number) if kind is ColumnKind.integer else number
    if kind is ColumnKind.date:
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        return date.fromisoformat(str(value)[:10])
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(str(part) for part in value)
    return str(value)


def _cell(sheet: WriteOnlyWorksheet, value: Any, kind: ColumnKind) -> Cell:
    cell = WriteOnlyCell(sheet, value=typed_value(value, kind))
    if isinstance(cell.value, str):
        # openpyxl would store text starting with "=" as a formula.
        cell.data_type = "s"
    elif kind in _NUMBER_FORMATS and cell.value is not None:
        cell.number_format = _NUMBER_FORMATS[kind]
    return cell


def _width(column: ReportColumn) -> float:
    if column.kind in TEXT_KINDS:
        return max(len(column.label), 16) + 4
    return max(len(column.label), 10) + 2


def _report_sheet(workbook: Workbook, table: ReportTable) -> None:
    sheet = workbook.create_sheet(REPORT_SHEET)
    sheet.freeze_panes = "A2"
    for position, column in enumerate(table.columns, start=1):
        sheet.column_dimensions[get_column_letter(position)].width = _width(column)
    header = []
    for column in table.columns:
        cell = WriteOnlyCell(sheet, value=column.label)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if column.description:
            cell.comment = Comment(column.description, "SCORE reporting")
        header.append(cell)
    sheet.append(header)
    note = suppression_note(table)
    for row in table.rows:
        suppressed = is_suppressed(row)
        cells = []
        for column in table.columns:
            cell = _cell(sheet, row.get(column.key), column.kind)
            if suppressed and cell.value is None and column.kind in NUMERIC_KINDS:
                cell.comment = Comment(note, "SCORE reporting")
            cells.append(cell)
        sheet.append(cells)


def _about_sheet(workbook: Workbook, table: ReportTable) -> None:
    sheet = workbook.create_sheet(ABOUT_SHEET)
    sheet.column_dimensions["A"].width = 24
    sheet.column_dimensions["B"].width = 100

    def line(label: str, value: Any, *, bold: bool = False) -> None:
        key = WriteOnlyCell(sheet, value=label)
        key.font = Font(bold=True)
        cell = WriteOnlyCell(sheet, value=value)
        if isinstance(value, str):
            cell.data_type = "s"
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        if bold:
            cell.font = Font(bold=True)
        sheet.append([key, cell])

    line("Report", table.title, bold=True)
    line("Name", table.report)
    line("Method", table.method)
    line("Generated at", table.generated_at.replace(tzinfo=None))
    line("Group by", ", ".join(table.group_by) or "(none)")
    if table.min_group_size is not None:
        line("Minimum group size", table.min_group_size)
    line("Suppressed rows", table.suppressed_rows)
    if table.suppressed_rows:
        line("Suppressed cells", suppression_note(table) + " Their cells are left empty.")
    sheet.append([])
    header = WriteOnlyCell(sheet, value="Filters")
    header.font = Font(bold=True)
    sheet.append([header])
    if not table.filters:
        line("(none)", "every record the caller may see")
    for name, value in table.filters.items():
        line(name, typed_value(value, ColumnKind.text))
    if table.data_as_of:
        sheet.append([])
        header = WriteOnlyCell(sheet, value="Data as of (feed positions)")
        header.font = Font(bold=True)
        sheet.append([header])
        for feed, position in table.data_as_of.items():
            line(feed, position)


def xlsx_bytes(table: ReportTable) -> bytes:
    """The report on a first sheet (header in bold, typed cells) and how it was made on a
    second; suppressed figures are empty cells carrying a note."""
    workbook = Workbook(write_only=True)
    _report_sheet(workbook, table)
    _about_sheet(workbook, table)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
