"""Reading value files (CSV, XLSX) into batch values, with errors by spreadsheet row and column.

The layout is the template's: one row per value, a header in row 1. Row numbers are the
ones a spreadsheet shows, so a partner can go straight to the cell an error names.
"""

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from pydantic import ValidationError

from services.indicators.values.schemas import ValueIn
from shared.request_guard import text_problem

FileFormat = Literal["csv", "xlsx"]

COLUMNS: tuple[str, ...] = (
    "enterprise_id",
    "enterprise_name",
    "indicator_code",
    "round_id",
    "month",
    # Only for monthly values of an enterprise enrolled in several projects.
    "project_id",
    "sex",
    "role",
    "value",
    "currency",
    "note",
)
REQUIRED_COLUMNS: tuple[str, ...] = ("enterprise_id", "indicator_code", "value")
# A value belongs to a round or to a month: a file needs at least one of the two columns.
PERIOD_COLUMNS: tuple[str, ...] = ("round_id", "month")
# Shown to people, never imported: the name is looked up from the id.
INFORMATIONAL_COLUMNS: frozenset[str] = frozenset({"enterprise_name"})
VALUES_SHEET = "values"
# The most value rows one file may hold.
MAX_ROWS = 100_000
# The most errors one answer lists (the first ones, in row order; the counts stay exact): a
# file of MAX_ROWS rows, every cell wrong, listed 800,000 errors in 130 MB of JSON and took
# the service to 870 MB. score import sends 1,000 rows at a time, far below it.
MAX_REPORTED_ERRORS = 10_000
# An XLSX is a zip archive, read whole into memory: a few megabytes of repeated XML unpack
# to gigabytes (1 MB of one long cell took the service to 2 GB). 100,000 rows of ten
# columns in the template layout unpack to about 65 MB.
MAX_UNPACKED_BYTES = 256 * 1024 * 1024

# Spreadsheets run a cell starting with these as a formula: text a partner typed (an
# enterprise name, a note) must never become one in an export (CSV injection). CSV text gets
# a leading apostrophe, which reading the file takes off again; XLSX cells are typed text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TRUE_WORDS = frozenset({"yes", "true"})
FALSE_WORDS = frozenset({"no", "false"})
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})(?:-(\d{1,2}))?$")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")

Cell = str | int | float | Decimal | bool | date | datetime | None


@dataclass(frozen=True)
class RowError:
    """One problem with one cell (or row, or the whole file when ``row`` is None)."""

    row: int | None
    column: str | None
    rule: str
    message: str
    value: Any = None

    def as_dict(self) -> dict[str, Any]:
        location = "file"
        if self.row is not None:
            location += f".rows.{self.row}"
            if self.column is not None:
                location += f".{self.column}"
        error: dict[str, Any] = {
            "field": location,
            "row": self.row,
            "column": self.column,
            "rule": self.rule,
            "message": self.message,
        }
        if self.value is not None:
            error["value"] = self.value
        return error


class FileUnreadable(Exception):
    """The file as a whole cannot be imported (format, encoding, header)."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        super().__init__("; ".join(error.message for error in errors))
        self.errors = list(errors)


@dataclass
class SheetRow:
    number: int
    cells: dict[str, Cell]


@dataclass
class Sheet:
    """The rows of a file under their (normalised) column names; blank rows left out."""

    columns: list[str]
    rows: list[SheetRow]


@dataclass
class ParsedRow:
    number: int
    value: ValueIn


@dataclass
class ParsedFile:
    rows_read: int
    values: list[ParsedRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    # Template rows nobody filled in: reported, not sent.
    skipped_rows: list[int] = field(default_factory=list)

    @property
    def rejected_rows(self) -> set[int]:
        return {error.row for error in self.errors if error.row is not None}


def normalise_column(name: Cell) -> str:
    return cell_text(name).strip().lower().replace(" ", "_")


def cell_text(value: Cell) -> str:
    """A cell as the text a CSV file would hold (numbers without float noise)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def detect_format(data: bytes, *, filename: str | None = None) -> FileFormat:
    """XLSX files are zip archives; anything else is read as CSV text."""
    if filename and filename.lower().endswith(".xlsx"):
        return "xlsx"
    if filename and filename.lower().endswith(".csv"):
        return "csv"
    return "xlsx" if data.startswith(b"PK\x03\x04") else "csv"


def read_sheet(data: bytes, file_format: FileFormat) -> Sheet:
    return read_xlsx(data) if file_format == "xlsx" else read_csv(data)


def read_csv(data: bytes) -> Sheet:
    try:
        # utf-8-sig: spreadsheets save CSV with a byte-order mark.
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileUnreadable(
            [RowError(None, None, "encoding", f"The CSV file is not UTF-8 text ({exc.reason})")]
        ) from exc
    first_line = text.split("\n", 1)[0]
    try:
        # Spreadsheets in many locales save CSV with semicolons. Only the delimiter is taken
        # from the header: the rest is how spreadsheets quote (a quote in a quoted cell is
        # doubled), which a header without quotes cannot show the sniffer.
        delimiter = csv.Sniffer().sniff(first_line, ",;\t").delimiter
    except csv.Error:
        delimiter = ","
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), csv.excel, delimiter=delimiter))
    except csv.Error as exc:
        raise FileUnreadable(
            [RowError(None, None, "csv_format", f"The CSV file cannot be read: {exc}")]
        ) from exc
    # One record is one spreadsheet row, even when a quoted cell spans lines.
    return _sheet(enumerate(records, start=1))


def _unpacked_size(data: bytes) -> int:
    """What the workbook's parts unpack to, as its zip directory declares (reading a part
    stops at its declared size: a part that lies fails its CRC check)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return sum(item.file_size for item in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return 0  # not a zip: openpyxl names what is wrong with it


def read_xlsx(data: bytes) -> Sheet:
    # openpyxl is imported when a workbook is read, not when the service starts.
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    unpacked = _unpacked_size(data)
    if unpacked > MAX_UNPACKED_BYTES:
        raise FileUnreadable(
            [
                RowError(
                    None,
                    None,
                    "xlsx_unpacked_size",
                    f"The workbook unpacks to {unpacked} bytes, more than the "
                    f"{MAX_UNPACKED_BYTES} a file of {MAX_ROWS} rows needs; split it",
                    value=unpacked,
                )
            ]
        )
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise FileUnreadable(
            [
                RowError(
                    None, None, "xlsx_format", f"The file is not a readable XLSX workbook: {exc}"
                )
            ]
        ) from exc
    try:
        names = workbook.sheetnames
        worksheet = workbook[VALUES_SHEET if VALUES_SHEET in names else names[0]]
        numbered: list[tuple[int, Sequence[Cell]]] = []
        number = worksheet.min_row - 1
        for cells in worksheet.iter_rows():
            # Read-only sheets fill gaps with empty cells, which carry no row number.
            numbers = [row for c in cells if isinstance(row := getattr(c, "row", None), int)]
            number = numbers[0] if numbers else number + 1
            numbered.append((number, [_xlsx_value(c.value) for c in cells]))
    finally:
        workbook.close()
    return _sheet(numbered)


def _xlsx_value(value: Any) -> Cell:
    if value is None or isinstance(value, str | int | float | Decimal | bool | date | datetime):
        return value
    return str(value)


def _sheet(numbered: Iterable[tuple[int, Sequence[Cell]]]) -> Sheet:
    rows = iter(numbered)
    header_number, header = _first_non_blank(rows)
    if header is None:
        raise FileUnreadable([RowError(None, None, "empty_file", "The file has no header row")])
    names = [normalise_column(cell) for cell in header]
    body = [(number, list(cells)) for number, cells in rows if not _blank(cells)]
    errors: list[RowError] = []
    seen: set[str] = set()
    for position, name in enumerate(names):
        if not name:
            if any(
                position < len(cells) and cell_text(cells[position]).strip() for _, cells in body
            ):
                errors.append(
                    RowError(
                        header_number,
                        None,
                        "unnamed_column",
                        f"Column {position + 1} holds data but has no name in the header",
                    )
                )
        elif name not in COLUMNS:
            errors.append(
                RowError(
                    header_number,
                    name,
                    "unknown_column",
                    f"Unknown column {name!r}; the columns are: {', '.join(COLUMNS)}",
                    value=cell_text(header[position]),
                )
            )
        elif name in seen:
            errors.append(
                RowError(header_number, name, "duplicate_column", f"Column {name!r} appears twice")
            )
        seen.add(name)
    for required in REQUIRED_COLUMNS:
        if required not in seen:
            errors.append(
                RowError(
                    header_number, required, "missing_column", f"The column {required!r} is missing"
                )
            )
    if not seen.intersection(PERIOD_COLUMNS):
        errors.append(
            RowError(
                header_number,
                "round_id",
                "missing_column",
                "A file needs a round_id or a month column (or both)",
            )
        )
    if errors:
        raise FileUnreadable(errors)
    positions = [(position, name) for position, name in enumerate(names) if name]
    return Sheet(
        columns=[name for _, name in positions],
        rows=[
            SheetRow(
                number,
                {
                    name: cells[position] if position < len(cells) else None
                    for position, name in positions
                },
            )
            for number, cells in body
        ],
    )


def _first_non_blank(
    rows: Iterator[tuple[int, Sequence[Cell]]],
) -> tuple[int, Sequence[Cell] | None]:
    for number, cells in rows:
        if not _blank(cells):
            return number, cells
    return 0, None


def _blank(cells: Sequence[Cell]) -> bool:
    return all(not cell_text(cell).strip() for cell in cells)


def indicator_codes(sheet: Sheet) -> set[str]:
    return {
        code for row in sheet.rows if (code := cell_text(row.cells.get("indicator_code")).strip())
    }


def parse_sheet(sheet: Sheet, *, kinds: Mapping[str, str]) -> ParsedFile:
    """Turn rows into batch values; ``kinds`` maps known indicator codes to their kind."""
    parsed = ParsedFile(rows_read=len(sheet.rows))
    for row in sheet.rows:
        if not cell_text(row.cells.get("value")).strip():
            parsed.skipped_rows.append(row.number)
            continue
        value, errors = parse_row(row, kinds=kinds)
        if errors:
            parsed.errors.extend(errors)
        elif value is not None:
            parsed.values.append(ParsedRow(row.number, value))
    return parsed


def parse_row(row: SheetRow, *, kinds: Mapping[str, str]) -> tuple[ValueIn | None, list[RowError]]:
    errors: list[RowError] = []
    text = {name: cell_text(cell).strip() for name, cell in row.cells.items()}

    def fail(column: str, rule: str, message: str) -> None:
        errors.append(RowError(row.number, column, rule, message, value=text.get(column) or None))

    # The same refusal as for JSON and URLs (shared.request_guard), cell by cell.
    for name, cell in text.items():
        found = text_problem(cell)
        if found is not None:
            fail(name, *found)

    for required in ("enterprise_id", "indicator_code"):
        if not text.get(required):
            fail(required, "required", f"{required} is required")
    month = None
    if text.get("month"):
        month = parse_month(row.cells["month"])
        if month is None:
            fail("month", "month_format", "A month is written YYYY-MM, e.g. 2024-03")
    code = text.get("indicator_code", "")
    value: Decimal | bool | None = None
    raw_value = row.cells.get("value")
    kind = kinds.get(code)
    if kind == "yes_no":
        value = parse_bool(raw_value)
        if value is None:
            fail("value", "boolean_format", f"{code} is a yes/no indicator: write yes or no")
    elif kind is not None:
        value = parse_number(raw_value)
        if value is None:
            fail("value", "number_format", f"{code} takes a number, e.g. 12.5")
    else:
        # An unknown code is the batch's to report; the value is still read as well as it can be.
        value = parse_bool(raw_value)
        if value is None:
            value = parse_number(raw_value)
        if value is None:
            fail("value", "number_format", "A value is a number, or yes / no")
    data: dict[str, Any] = {
        "enterprise_id": text.get("enterprise_id"),
        "indicator_code": code,
        "round_id": text.get("round_id") or None,
        "month": month,
        "project_id": text.get("project_id") or None,
        "sex": text.get("sex", "").lower() or None,
        "role": text.get("role", "").lower() or None,
        "value": value,
        "currency": text.get("currency", "").upper() or None,
        "note": unquoted(text.get("note", "")) or None,
    }
    try:
        parsed = ValueIn.model_validate(data)
    except ValidationError as exc:
        failed = {error.column for error in errors}
        for err in exc.errors():
            column: str | None = str(err["loc"][0]) if err.get("loc") else None
            # A cell already reported by the file rules needs no second message.
            if column in failed:
                continue
            errors.append(
                RowError(
                    row.number,
                    column,
                    str(err.get("type", "invalid")),
                    str(err.get("msg", "invalid value")),
                    value=(text.get(column) or None) if column else None,
                )
            )
        return None, errors
    return (None, errors) if errors else (parsed, errors)


def unquoted(text: str) -> str:
    """Text as it was typed, without the apostrophe an export put before a formula start."""
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


def parse_month(cell: Cell) -> date | None:
    if isinstance(cell, datetime):
        return date(cell.year, cell.month, 1)
    if isinstance(cell, date):
        return date(cell.year, cell.month, 1)
    match = _MONTH.match(cell_text(cell).strip())
    if match is None:
        return None
    year, month, day = int(match[1]), int(match[2]), int(match[3] or 1)
    try:
        date(year, month, day)
    except ValueError:
        return None
    return date(year, month, 1)


def parse_number(cell: Cell) -> Decimal | None:
    if isinstance(cell, bool):
        return None
    if isinstance(cell, int | Decimal):
        return Decimal(cell)
    if isinstance(cell, float):
        return Decimal(repr(cell))
    text = cell_text(cell).strip()
    if not _NUMBER.match(text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def parse_bool(cell: Cell) -> bool | None:
    if isinstance(cell, bool):
        return cell
    word = cell_text(cell).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None
