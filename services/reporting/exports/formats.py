"""Any ReportTable as a CSV stream, and what its XLSX workbook (workbook.py) shares with it."""

import csv
import io
import json
from collections.abc import Iterator
from typing import Any, Literal

from services.reporting.report import ColumnKind, ReportTable

ExportFormat = Literal["csv", "xlsx"]

CONTENT_TYPES: dict[ExportFormat, str] = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

NUMERIC_KINDS = frozenset({ColumnKind.integer, ColumnKind.percent, ColumnKind.number})
TEXT_KINDS = frozenset({ColumnKind.dimension, ColumnKind.text})

# Spreadsheets run a cell starting with these as a formula; an enterprise name typed by a
# partner must never become one (CSV injection), so such text gets a leading apostrophe.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def is_suppressed(row: dict[str, Any]) -> bool:
    """Rows hidden for small groups say so in a ``suppressed`` field (see report.py)."""
    return bool(row.get("suppressed"))


def suppression_note(table: ReportTable) -> str:
    size = f"fewer than {table.min_group_size} " if table.min_group_size else "too few "
    return f"Suppressed: the group has {size}enterprises (confidentiality)."


# --- CSV ------------------------------------------------------------------------------


def csv_text(value: Any, kind: ColumnKind) -> str:
    """A JSON-mode value as the text of a CSV cell: the JSON report's value, unquoted."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    text = str(value)
    if kind not in NUMERIC_KINDS and text.startswith(_FORMULA_STARTS):
        return "'" + text
    return text


def csv_chunks(table: ReportTable) -> Iterator[str]:
    """The header row of column labels, then one line per row, produced as they are sent."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    # The byte-order mark makes spreadsheet programs read the file as UTF-8 (names).
    writer.writerow([column.label for column in table.columns])
    yield "\ufeff" + flush()
    rows = table.model_dump(mode="json", include={"rows"})["rows"]
    for row in rows:
        writer.writerow([csv_text(row.get(column.key), column.kind) for column in table.columns])
        yield flush()


# --- XLSX -----------------------------------------------------------------------------
