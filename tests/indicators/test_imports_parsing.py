"""Reading value files: the template layout, spreadsheet row numbers and the file rules."""

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from uuid import uuid4

import pytest
from openpyxl import Workbook, load_workbook

from services.indicators.imports.files import required_parts, row_cells, write_csv, write_xlsx
from services.indicators.imports.parsing import (
    COLUMNS,
    FileUnreadable,
    detect_format,
    parse_sheet,
    read_csv,
    read_sheet,
    read_xlsx,
)
from shared.enums import Sex

KINDS = {"defects": "count", "osh_policy": "yes_no", "five_s_score": "percentage"}
ROUND = uuid4()


def csv_bytes(*lines: str) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode()


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def header() -> str:
    return "enterprise_id,indicator_code,round_id,month,sex,value,currency"


def test_csv_rows_become_batch_values_numbered_like_a_spreadsheet() -> None:
    enterprise = uuid4()
    data = csv_bytes(
        header(),
        f"{enterprise},defects,{ROUND},,female,12,",
        ",,,,,,",  # a blank row keeps its number but is not a value
        f"{enterprise},osh_policy,{ROUND},,,Yes,",
    )
    parsed = parse_sheet(read_csv(data), kinds=KINDS)
    assert parsed.errors == []
    assert parsed.rows_read == 2
    [defects, policy] = parsed.values
    assert (defects.number, policy.number) == (2, 4)
    assert defects.value.value == Decimal(12)
    assert defects.value.sex is Sex.female
    assert policy.value.value is True


def test_bad_number_and_bad_month_are_reported_by_row_column_and_rule() -> None:
    enterprise = uuid4()
    data = csv_bytes(
        "enterprise_id,indicator_code,month,value",
        f"{enterprise},defects,2024-03,12",
        f"{enterprise},defects,March 2024,abc",
        f"{enterprise},osh_policy,2024-13,maybe",
    )
    parsed = parse_sheet(read_csv(data), kinds=KINDS)
    found = {(e.row, e.column, e.rule, e.value) for e in parsed.errors}
    assert found == {
        (3, "month", "month_format", "March 2024"),
        (3, "value", "number_format", "abc"),
        (4, "month", "month_format", "2024-13"),
        (4, "value", "boolean_format", "maybe"),
    }
    assert [row.number for row in parsed.values] == [2]
    assert parsed.rejected_rows == {3, 4}


def test_rows_without_a_value_are_skipped_and_listed() -> None:
    enterprise = uuid4()
    data = csv_bytes(header(), f"{enterprise},defects,{ROUND},,female,,", f"{enterprise},x,,,,1,")
    parsed = parse_sheet(read_csv(data), kinds=KINDS)
    assert parsed.skipped_rows == [2]
    assert [row.number for row in parsed.values] == [3]


def test_contract_rules_name_the_column_of_the_cell() -> None:
    data = csv_bytes(header(), f"not-a-uuid,defects,{ROUND},,unknown,1,EURO", f",,{ROUND},,,1,")
    parsed = parse_sheet(read_csv(data), kinds=KINDS)
    found = {(e.row, e.column, e.rule) for e in parsed.errors}
    assert (2, "enterprise_id", "uuid_parsing") in found
    assert (2, "sex", "enum") in found
    assert (2, "currency", "string_too_long") in found
    assert (3, "enterprise_id", "required") in found
    assert (3, "indicator_code", "required") in found


@pytest.mark.parametrize(
    ("lines", "rule", "column"),
    [
        (
            ["enterprise_id,indicator_code,round_id,value,colour", "x,y,z,1,red"],
            "unknown_column",
            "colour",
        ),
        (["enterprise_id,round_id,value", "x,z,1"], "missing_column", "indicator_code"),
        (["enterprise_id,indicator_code,value", "x,y,1"], "missing_column", "round_id"),
        (
            ["enterprise_id,indicator_code,round_id,value,value", "x,y,z,1,2"],
            "duplicate_column",
            "value",
        ),
    ],
)
def test_header_problems_refuse_the_whole_file(lines: list[str], rule: str, column: str) -> None:
    with pytest.raises(FileUnreadable) as raised:
        read_csv(csv_bytes(*lines))
    assert (1, column, rule) in {(e.row, e.column, e.rule) for e in raised.value.errors}


def test_semicolon_csv_with_a_byte_order_mark_is_read() -> None:
    enterprise = uuid4()
    data = "\ufeffEnterprise ID;indicator_code;round_id;value\r\n".encode()
    data += f"{enterprise};defects;{ROUND};7\r\n".encode()
    parsed = parse_sheet(read_csv(data), kinds=KINDS)
    assert parsed.errors == []
    assert parsed.values[0].value.enterprise_id == enterprise


@pytest.mark.parametrize("delimiter", [",", ";"])
def test_quotes_doubled_in_a_quoted_cell_read_as_one_quote(delimiter: str) -> None:
    # As spreadsheets (and the CSV export) write them. The delimiter was sniffed from the
    # header, which has no quotes, and so was "no doubled quotes": a note holding a quote and
    # a comma was cut short, its rest spilling into the next columns.
    enterprise = uuid4()
    note = 'Pipe of 5", cut; "ok" said the EIT'
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(["enterprise_id", "indicator_code", "round_id", "value", "note"])
    writer.writerow([enterprise, "defects", ROUND, 7, note])
    parsed = parse_sheet(read_csv(buffer.getvalue().encode()), kinds=KINDS)
    assert parsed.errors == []
    assert parsed.values[0].value.note == note


def test_not_utf8_and_not_xlsx_are_refused_with_a_rule() -> None:
    with pytest.raises(FileUnreadable) as not_text:
        read_csv(b"enterprise_id,value\r\n\xff\xfe\xfa,1\r\n")
    assert not_text.value.errors[0].rule == "encoding"
    with pytest.raises(FileUnreadable) as not_xlsx:
        read_xlsx(b"PK\x03\x04 this is no workbook")
    assert not_xlsx.value.errors[0].rule == "xlsx_format"


def test_xlsx_cells_keep_their_types_and_row_numbers() -> None:
    enterprise = uuid4()
    data = xlsx_bytes(
        [
            ["enterprise_id", "indicator_code", "month", "value"],
            [str(enterprise), "defects", datetime(2024, 3, 1), 12.5],
            [None, None, None, None],
            [str(enterprise), "osh_policy", "2024-04", True],
            [str(enterprise), "five_s_score", "2024-04", "abc"],
        ]
    )
    assert detect_format(data) == "xlsx"
    parsed = parse_sheet(read_xlsx(data), kinds=KINDS)
    assert [(e.row, e.column, e.rule) for e in parsed.errors] == [(5, "value", "number_format")]
    [defects, policy] = parsed.values
    assert (defects.number, defects.value.month, defects.value.value) == (
        2,
        date(2024, 3, 1),
        Decimal("12.5"),
    )
    assert (policy.number, policy.value.value) == (4, True)


def test_written_files_read_back_to_the_same_values() -> None:
    enterprise, project = uuid4(), uuid4()
    rows = [
        row_cells(
            enterprise_id=enterprise,
            enterprise_name="Karachi Knitwear, Ltd.",
            indicator_code="defects",
            round_id=ROUND,
            project_id=project,
            sex="female",
            value=Decimal("0.1"),
        ),
        row_cells(
            enterprise_id=enterprise,
            enterprise_name="Karachi Knitwear, Ltd.",
            indicator_code="osh_policy",
            month=date(2024, 3, 1),
            value=False,
            note="from the HR register",
        ),
    ]
    for data, file_format in ((write_csv(rows), "csv"), (write_xlsx(rows), "xlsx")):
        sheet = read_sheet(data, "csv" if file_format == "csv" else "xlsx")
        assert sheet.columns == list(COLUMNS)
        parsed = parse_sheet(sheet, kinds=KINDS)
        assert parsed.errors == []
        first, second = (row.value for row in parsed.values)
        assert (first.value, first.sex, first.project_id) == (Decimal("0.1"), Sex.female, project)
        assert (second.value, second.month, second.note) == (
            False,
            date(2024, 3, 1),
            "from the HR register",
        )


def test_xlsx_template_has_a_frozen_bold_header_and_an_indicators_sheet() -> None:
    workbook = load_workbook(io.BytesIO(write_xlsx([])))
    assert workbook.sheetnames == ["values", "indicators"]
    values = workbook["values"]
    assert values.freeze_panes == "A2"
    assert [cell.value for cell in values[1]] == list(COLUMNS)
    assert values["A1"].font.b


def test_required_parts_follow_the_disaggregations() -> None:
    assert required_parts([]) == [(None, None)]
    assert required_parts(["sex"]) == [("female", None), ("male", None)]
    assert len(required_parts(["sex", "role"])) == 4
