"""Exports: any report as CSV (rows equal to the JSON report's) or XLSX (typed cells, method
and filters on a second sheet), and the SVG chart of % of enterprises reporting improvement."""

import csv
import io
import json
import xml.etree.ElementTree as ET
from datetime import date, datetime
from typing import Any

import httpx
from openpyxl import load_workbook
from sqlmodel.ext.asyncio.session import AsyncSession

from services.reporting.exports.chart import LABEL_WIDTH, PLOT_WIDTH
from services.reporting.report import REPORTS
from tests.enrolment.support import ILO, Api
from tests.reporting.fixtures import sync_reporting
from tests.reporting.test_suppliers_support import (
    Suppliers,
    suppliers,
    suppliers_baseline,
    validated_pairs,
)

__all__ = ["suppliers", "suppliers_baseline"]

SVG = "{http://www.w3.org/2000/svg}"


def csv_rows(response: httpx.Response) -> list[list[str]]:
    text = response.content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline="")))


def as_csv_text(value: Any) -> str:
    """How a JSON report value reads in the CSV export."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    return str(value)


def impact_params(suppliers: Suppliers) -> dict[str, str]:
    # Only this test's indicators: the shared test databases hold other tests' catalogue.
    codes = (suppliers.defect_code, suppliers.output_code, suppliers.practice_code)
    return {"indicator": ",".join(codes)}


async def test_csv_has_a_header_of_labels_and_the_json_reports_rows(
    reporting_api: Api, suppliers: Suppliers
) -> None:
    params = impact_params(suppliers)
    report = await reporting_api.get("/impact", params=params, as_=ILO)
    assert report.status_code == 200, report.text
    table = report.json()
    assert len(table["rows"]) == 3

    response = await reporting_api.get("/exports/impact.csv", params=params, as_=ILO)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith('attachment; filename="score-impact-')
    header, *rows = csv_rows(response)
    assert header == [column["label"] for column in table["columns"]]
    expected = [
        [as_csv_text(row.get(column["key"])) for column in table["columns"]]
        for row in table["rows"]
    ]
    assert rows == expected
    by_code = {row[0]: row for row in rows}
    n = header.index("n (matched pairs)")
    improved = header.index("% improved")
    assert by_code[suppliers.defect_code][n] == "1"
    assert by_code[suppliers.defect_code][improved] == "100.0"
    assert by_code[suppliers.output_code][improved] == "0.0"


async def test_supplier_report_exports_one_row_per_consenting_supplier(
    reporting_api: Api, reporting_session: AsyncSession, suppliers: Suppliers
) -> None:
    response = await reporting_api.get("/exports/suppliers.csv", as_=suppliers.inditex)
    assert response.status_code == 200, response.text
    header, *rows = csv_rows(response)
    assert header[:4] == ["Enterprise id", "Enterprise", "Country", "Sector"]
    supplier_report = REPORTS["suppliers"]
    table = await supplier_report.run(
        reporting_session, suppliers.inditex, supplier_report.params(), min_group_size=5
    )
    assert table.filters == {"buyer_id": str(suppliers.world.inditex_id)}
    expected = [
        [as_csv_text(v) for v in json.loads(json.dumps(row, default=str)).values()]
        for row in table.model_dump(mode="json")["rows"]
    ]
    assert rows == expected
    by_id = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    consenting = {suppliers.supplier_id, suppliers.second_id, suppliers.unlisted_id}
    assert set(by_id) == {str(enterprise_id) for enterprise_id in consenting}
    main = by_id[str(suppliers.supplier_id)]
    assert main["Enterprise"] == suppliers.supplier_name
    assert main["Stage"] == "ILES Pakistan: level1"
    assert main["Modules completed"] == "2"
    assert main["Modules completed (dates)"] == (
        "workplace_cooperation (2019-05-30); quality_management (2020-03-15)"
    )
    assert main["Last module completed on"] == "2020-03-15"
    assert (main["EIT in place"], main["EIT formed on"]) == ("yes", "2019-03-01")
    assert main["Improvement projects completed"] == "1"
    assert (main["Indicators with baseline and endline"], main["Indicators improved"]) == (
        "3",
        "2",
    )
    assert f"{suppliers.defect_code}: 8 -> 5 (-37.5%)" in main["Indicator changes"]
    assert f"{suppliers.practice_code}: no -> yes" in main["Indicator changes"]

    # Another buyer's export holds the header only.
    other = await reporting_api.get("/exports/suppliers.csv", as_=suppliers.adidas)
    assert csv_rows(other) == [header]


async def test_xlsx_opens_with_typed_cells_a_bold_header_and_the_method_sheet(
    reporting_api: Api, suppliers: Suppliers
) -> None:
    response = await reporting_api.get("/exports/suppliers.xlsx", as_=suppliers.inditex)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Report", "Method and filters"]
    sheet = workbook["Report"]
    header = [cell.value for cell in sheet[1]]
    assert header[:3] == ["Enterprise id", "Enterprise", "Country"]
    assert all(cell.font.bold for cell in sheet[1])
    rows = {row[0].value: dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2)}
    main = rows[str(suppliers.supplier_id)]
    assert main["Modules completed"].value == 2
    assert main["Modules completed"].data_type == "n"
    assert isinstance(main["Last module completed on"].value, datetime)
    assert main["Last module completed on"].value.date() == date(2020, 3, 15)
    assert main["Last module completed on"].is_date
    assert main["Enterprise"].value == suppliers.supplier_name
    second = rows[str(suppliers.second_id)]
    assert second["Last module completed on"].value is None

    about = {row[0].value: row[1].value for row in workbook["Method and filters"].iter_rows()}
    assert about["Report"] == "Supplier status"
    assert "consent" in str(about["Method"])
    assert about["buyer_id"] == str(suppliers.world.inditex_id)


async def test_suppressed_groups_export_empty_cells_with_a_note(
    reporting_api: Api, suppliers: Suppliers
) -> None:
    # One enterprise per indicator: below the minimum group size for a programme manager.
    manager = suppliers.world.pakistan_manager
    params = impact_params(suppliers)
    csv_response = await reporting_api.get("/exports/impact.csv", params=params, as_=manager)
    header, *rows = csv_rows(csv_response)
    assert len(rows) == 3
    n, reason = header.index("n (matched pairs)"), header.index("Suppressed")
    for row in rows:
        assert row[n] == ""
        assert "fewer than 5 enterprises" in row[reason]

    response = await reporting_api.get("/exports/impact.xlsx", params=params, as_=manager)
    assert response.status_code == 200, response.text
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook["Report"]
    cell_rows = list(sheet.iter_rows(min_row=2))
    assert len(cell_rows) == 3
    for cells in cell_rows:
        note = cells[n].comment
        assert cells[n].value is None
        assert note is not None
        assert "fewer than 5 enterprises" in note.text
    about = {row[0].value: row[1].value for row in workbook["Method and filters"].iter_rows()}
    assert about["Suppressed rows"] == 3
    assert about["Minimum group size"] == 5


async def test_xlsx_keeps_numbers_as_numbers_in_the_impact_report(
    reporting_api: Api, suppliers: Suppliers
) -> None:
    params = impact_params(suppliers)
    response = await reporting_api.get("/exports/impact.xlsx", params=params, as_=ILO)
    sheet = load_workbook(io.BytesIO(response.content))["Report"]
    header = [cell.value for cell in sheet[1]]
    rows = {row[0].value: dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2)}
    defect = rows[suppliers.defect_code]
    assert defect["n (matched pairs)"].value == 1
    assert defect["% improved"].value == 100
    assert defect["Median relative change (%)"].value == -37.5
    assert defect["Median relative change (%)"].data_type == "n"


async def test_unknown_report_answers_404_naming_the_available_ones(
    reporting_api: Api, suppliers: Suppliers
) -> None:
    response = await reporting_api.get("/exports/brochure.csv", as_=ILO)
    assert response.status_code == 404
    problem = response.json()
    assert {"impact", "suppliers"} <= set(problem["available"])
    assert "impact" in problem["detail"]
    assert "suppliers" in problem["detail"]
    pdf = await reporting_api.get("/exports/impact.pdf", as_=ILO)
    assert pdf.status_code == 422
    assert pdf.json()["errors"][0]["field"] == "path.file_format"


async def test_export_parameters_are_validated_like_the_reports(
    reporting_api: Api, suppliers: Suppliers
) -> None:
    response = await reporting_api.get(
        "/exports/impact.csv", params={"group_by": "colour"}, as_=ILO
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "query.group_by"
    forged = await reporting_api.get(
        "/exports/impact.csv", params={"min_group_size": "1"}, as_=suppliers.world.pakistan_manager
    )
    assert forged.status_code == 422
    unauthenticated = await reporting_api.client.get("/exports/impact.csv")
    assert unauthenticated.status_code == 401


def bars(svg: ET.Element) -> dict[str, dict[str, Any]]:
    """Each bar by its label: the rect's width and the texts beside it."""
    found = {}
    for group in svg.iter(f"{SVG}g"):
        if group.get("class") != "bar":
            continue
        label = "".join(group.find(f"{SVG}text").itertext())  # type: ignore[union-attr]
        [rect] = group.findall(f"{SVG}rect")
        texts = ["".join(text.itertext()) for text in group.findall(f"{SVG}text")]
        found[label] = {"width": float(rect.get("width", "0")), "texts": texts}
    return found


async def test_improvement_chart_is_valid_svg_with_each_indicator_its_share_and_n(
    api: Api,
    indicators_api: Api,
    reporting_api: Api,
    reporting_session: AsyncSession,
    suppliers: Suppliers,
) -> None:
    # A second enterprise whose defect rate worsened: 1 of 2 improved.
    await validated_pairs(
        indicators_api, suppliers, suppliers.second_id, {suppliers.defect_code: ("10", "12")}
    )
    await sync_reporting(api, indicators_api, reporting_session)
    response = await reporting_api.get(
        "/charts/improvement.svg", params=impact_params(suppliers), as_=ILO
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("image/svg+xml")
    svg = ET.fromstring(response.content)
    assert svg.tag == f"{SVG}svg"
    assert svg.findtext(f"{SVG}title") == "% of enterprises reporting improvement"
    found = bars(svg)
    assert set(found) == {"Defect rate", "Daily output", "Suggestion scheme"}
    assert found["Defect rate"]["texts"][1:] == ["50%", "n = 2"]
    assert found["Daily output"]["texts"][1:] == ["0%", "n = 1"]
    assert found["Suggestion scheme"]["texts"][1:] == ["100%", "n = 1"]
    # Bars scale with the share: the whole plot for 100%, half of it for 50%.
    assert found["Suggestion scheme"]["width"] == PLOT_WIDTH
    assert found["Defect rate"]["width"] == PLOT_WIDTH / 2
    assert found["Daily output"]["width"] == 0
    rects = [r for r in svg.iter(f"{SVG}rect") if r.get("x") == str(LABEL_WIDTH)]
    assert len(rects) == 3
    assert "suppressed" not in response.text.lower()


async def test_chart_leaves_suppressed_groups_out_with_a_footnote(
    reporting_api: Api, suppliers: Suppliers
) -> None:
    response = await reporting_api.get(
        "/charts/improvement.svg",
        params=impact_params(suppliers),
        as_=suppliers.world.pakistan_manager,
    )
    assert response.status_code == 200, response.text
    svg = ET.fromstring(response.content)
    assert bars(svg) == {}
    footnotes = " ".join(
        "".join(text.itertext())
        for group in svg.iter(f"{SVG}g")
        if group.get("id") == "footnotes"
        for text in group
    )
    assert "3 group(s) with fewer than 5 enterprises are not shown" in footnotes


async def test_chart_of_a_grouped_report_names_each_group(
    reporting_api: Api, suppliers: Suppliers
) -> None:
    params = {**impact_params(suppliers), "group_by": "country"}
    response = await reporting_api.get("/charts/improvement.svg", params=params, as_=ILO)
    assert response.status_code == 200, response.text
    assert set(bars(ET.fromstring(response.content))) == {
        "Defect rate - PK",
        "Daily output - PK",
        "Suggestion scheme - PK",
    }
