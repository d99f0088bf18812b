"""Value files in the template layout (CSV, XLSX): rows as cells, written as a file."""

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import product
from typing import TYPE_CHECKING, Any
from uuid import UUID

from services.indicators.catalogue.models import Indicator
from services.indicators.imports.parsing import (
    COLUMNS,
    FORMULA_STARTS,
    VALUES_SHEET,
    Cell,
    FileFormat,
    cell_text,
)
from services.indicators.imports.repository import ExportedValue
from shared.enums import ParticipantRole, Sex

if TYPE_CHECKING:
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

CONTENT_TYPES: dict[FileFormat, str] = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
INDICATOR_COLUMNS = (
    "code",
    "name",
    "kind",
    "unit",
    "direction",
    "min_value",
    "max_value",
    "disaggregations",
    "module_code",
    "computed_from",
)
# The derived values of an XLSX export: for reading, never re-imported (they are computed).
DERIVED_SHEET = "derived"
DERIVED_COLUMNS = (
    "enterprise_id",
    "enterprise_name",
    "indicator_code",
    "round_id",
    "month",
    "sex",
    "role",
    "value",
    "status",
    "version",
    "formula",
    "inputs",
    "reason",
)
_WIDTHS = {
    "enterprise_id": 38,
    "enterprise_name": 32,
    "indicator_code": 28,
    "round_id": 38,
    "project_id": 38,
}
_CHOICES = {
    "sex": [sex.value for sex in Sex],
    "role": [role.value for role in ParticipantRole],
}


@dataclass
class ValueFile:
    filename: str
    file_format: FileFormat
    content: bytes

    @property
    def media_type(self) -> str:
        return CONTENT_TYPES[self.file_format]

    @property
    def headers(self) -> dict[str, str]:
        return {"Content-Disposition": f'attachment; filename="{self.filename}"'}


def row_cells(
    *,
    enterprise_id: UUID,
    enterprise_name: str,
    indicator_code: str,
    round_id: UUID | None = None,
    month: date | None = None,
    project_id: UUID | None = None,
    sex: str | None = None,
    role: str | None = None,
    value: Decimal | bool | None = None,
    currency: str | None = None,
    note: str | None = None,
) -> list[Cell]:
    """One row in ``COLUMNS`` order, written so the parser reads back the same value."""
    written: Cell = ("yes" if value else "no") if isinstance(value, bool) else value
    return [
        str(enterprise_id),
        enterprise_name,
        indicator_code,
        str(round_id) if round_id else None,
        # Text, not a date: a spreadsheet must not turn "2024-03" into 1 March.
        month.strftime("%Y-%m") if month else None,
        str(project_id) if project_id else None,
        sex,
        role,
        written,
        currency,
        note,
    ]


def required_parts(disaggregations: Sequence[str]) -> list[tuple[str | None, str | None]]:
    """The (sex, role) parts a value must be given in; (None, None) is the total."""
    # Another sex and not disclosed are added by those who have such people; a template
    # asks for the parts every value needs.
    required = [Sex.female.value, Sex.male.value]
    sexes: list[str | None] = list(required) if "sex" in disaggregations else [None]
    roles: list[str | None] = list(_CHOICES["role"]) if "role" in disaggregations else [None]
    return list(product(sexes, roles))


def write_file(
    rows: Iterable[Sequence[Cell]],
    file_format: FileFormat,
    *,
    indicators: Sequence[Indicator] = (),
    derived: Sequence[Sequence[Cell]] = (),
) -> bytes:
    if file_format == "csv":
        return write_csv(rows)
    return write_xlsx(rows, indicators=indicators, derived=derived)


def computed_from(indicator: Indicator) -> str | None:
    """How a derived indicator is computed, for people reading a template or an export."""
    formula = indicator.formula
    if not formula:
        return None
    multiplier = Decimal(str(formula["multiplier"]))
    return (
        f"{formula['numerator']} / {formula['denominator']} x {format(multiplier, 'f')} "
        "(computed once both are validated: not entered)"
    )


def write_csv(rows: Iterable[Sequence[Cell]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_csv_text(cell) for cell in row])
    # The byte-order mark makes spreadsheets open the file as UTF-8 (enterprise names).
    return buffer.getvalue().encode("utf-8-sig")


def _csv_text(cell: Cell) -> str:
    text = cell_text(cell)
    if isinstance(cell, str) and text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def _xlsx_row(sheet: "WriteOnlyWorksheet", row: Sequence[Cell]) -> list[Any]:
    """The row's cells, text starting with "=" typed as text (openpyxl would store a formula),
    and a figure a spreadsheet number (a double) cannot hold exactly written as its digits: a
    value has up to 40 digits, a double keeps 15 to 17 (12345678901234567.891 read back as
    12345678901234568). The importer reads such text cells as numbers."""
    from openpyxl.cell import WriteOnlyCell

    cells: list[Any] = list(row)
    for position, cell in enumerate(cells):
        if isinstance(cell, Decimal) and Decimal(repr(float(cell))) != cell:
            cell = format(cell, "f")
        elif not (isinstance(cell, str) and cell.startswith("=")):
            continue
        text = WriteOnlyCell(sheet, value=cell)
        text.data_type = "s"
        cells[position] = text
    return cells


def write_xlsx(
    rows: Iterable[Sequence[Cell]],
    *,
    indicators: Sequence[Indicator] = (),
    derived: Sequence[Sequence[Cell]] = (),
) -> bytes:
    # openpyxl is imported when a workbook is written, not when the service starts.
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook(write_only=True)
    values = workbook.create_sheet(VALUES_SHEET)
    values.freeze_panes = "A2"
    for position, name in enumerate(COLUMNS, start=1):
        values.column_dimensions[get_column_letter(position)].width = _WIDTHS.get(name, 14)
    for name, choices in _CHOICES.items():
        letter = get_column_letter(COLUMNS.index(name) + 1)
        validation = DataValidation(
            type="list",
            formula1=f'"{",".join(choices)}"',
            allow_blank=True,
            showErrorMessage=True,
            error=f"{name}: {' or '.join(choices)}, or empty for the total",
        )
        validation.add(f"{letter}2:{letter}1048576")
        values.data_validations.append(validation)
    _header(values, COLUMNS)
    for row in rows:
        values.append(_xlsx_row(values, row))
    sheet = workbook.create_sheet("indicators")
    _header(sheet, INDICATOR_COLUMNS)
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 40
    for indicator in indicators:
        sheet.append(
            _xlsx_row(
                sheet,
                [
                    indicator.code,
                    indicator.name_en,
                    indicator.kind,
                    indicator.unit,
                    indicator.direction,
                    indicator.min_value,
                    indicator.max_value,
                    ", ".join(indicator.disaggregations),
                    indicator.module_code,
                    computed_from(indicator),
                ],
            )
        )
    if derived:
        computed = workbook.create_sheet(DERIVED_SHEET)
        _header(computed, DERIVED_COLUMNS)
        for row in derived:
            computed.append(_xlsx_row(computed, row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _header(sheet: "WriteOnlyWorksheet", names: Sequence[str]) -> None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    cells = []
    for name in names:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = Font(bold=True)
        cells.append(cell)
    sheet.append(cells)


def slug(text: str) -> str:
    """A file-name-safe ASCII form of a name."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "file"


def derived_row(exported: ExportedValue) -> list[Cell]:
    """A derived value with where it comes from (the XLSX export's derived sheet)."""
    value = exported.value
    lineage = value.lineage or {}
    formula = lineage.get("formula") or {}
    return [
        str(value.enterprise_id),
        exported.enterprise_name,
        exported.indicator_code,
        str(value.round_id) if value.round_id else None,
        value.month.strftime("%Y-%m") if value.month else None,
        value.sex,
        value.role,
        value.value,
        value.status,
        value.version,
        f"{formula.get('numerator')} / {formula.get('denominator')} x {formula.get('multiplier')}"
        if formula
        else None,
        ", ".join(_lineage_input(i) for i in lineage.get("inputs", [])),
        lineage.get("reason"),
    ]


def _lineage_input(item: dict[str, Any]) -> str:
    if item.get("derived_from_parts"):
        parts = " + ".join(
            f"{p['part']} {p['value']} (value {p['value_id']} v{p['version']})"
            for p in item.get("parts", [])
        )
        return f"{item['indicator_code']} {item['value']} (sum of its parts: {parts})"
    return f"{item['indicator_code']} {item['value']} (value {item['value_id']} v{item['version']})"


def exported_row(exported: ExportedValue) -> list[Cell]:
    value = exported.value
    return row_cells(
        enterprise_id=value.enterprise_id,
        enterprise_name=exported.enterprise_name,
        indicator_code=exported.indicator_code,
        round_id=value.round_id,
        month=value.month,
        project_id=value.project_id,
        sex=value.sex,
        role=value.role,
        value=value.value_bool if exported.indicator_kind == "yes_no" else value.value,
        currency=value.currency,
        note=value.note,
    )
