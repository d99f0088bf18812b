"""REST endpoints of exports: any report as CSV or XLSX, and the improvement chart as SVG."""

from typing import Literal

from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from services.reporting.exports.chart import render_svg
from services.reporting.exports.formats import CONTENT_TYPES, csv_chunks
from services.reporting.exports.service import IMPACT_REPORT, export_service, filename
from services.reporting.params import MinGroupSize
from shared.db import SessionDep
from shared.identity import CurrentPrincipal

router = APIRouter(tags=["exports"])

SVG_TYPE = "image/svg+xml"


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


@router.get(
    "/exports/{report}.{file_format}",
    summary="Any report as CSV (streamed) or XLSX, with the report's own query parameters",
    description=(
        "CSV: a header row of column labels, one line per report row, suppressed figures "
        "empty. XLSX: typed cells (numbers, dates), a bold header row, suppressed cells "
        "empty with a note, and the method and filters on a second sheet. An unknown "
        "report answers 404 with the available ones."
    ),
    responses={
        200: {
            "content": {CONTENT_TYPES["csv"]: {}, CONTENT_TYPES["xlsx"]: {}},
            "description": "The report file",
        },
        404: {"description": "No such report (the problem lists the available ones)"},
    },
    response_class=Response,
)
async def export_report(
    report: str,
    file_format: Literal["csv", "xlsx"],
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    min_group_size: MinGroupSize,
) -> Response:
    table = await export_service.run(
        session,
        report,
        request.query_params.multi_items(),
        principal=principal,
        min_group_size=min_group_size,
    )
    headers = _attachment(filename(report, file_format))
    if file_format == "csv":
        return StreamingResponse(
            csv_chunks(table), media_type=CONTENT_TYPES["csv"], headers=headers
        )
    # Imported here, not at start: openpyxl is a large import most processes never need.
    from services.reporting.exports.workbook import xlsx_bytes

    # openpyxl is synchronous and CPU-bound: keep it off the event loop.
    content = await run_in_threadpool(xlsx_bytes, table)
    return Response(content, media_type=CONTENT_TYPES["xlsx"], headers=headers)


@router.get(
    "/charts/improvement.svg",
    summary='"% of enterprises reporting improvement" per indicator, as an SVG bar chart',
    description=(
        "Drawn from the impact report with the same query parameters; each bar shows its n, "
        "suppressed groups are left out and counted in a footnote."
    ),
    responses={200: {"content": {SVG_TYPE: {}}, "description": "The chart"}},
    response_class=Response,
)
async def improvement_chart(
    request: Request, session: SessionDep, principal: CurrentPrincipal, min_group_size: MinGroupSize
) -> Response:
    chart = await export_service.improvement_chart(
        session,
        request.query_params.multi_items(),
        principal=principal,
        min_group_size=min_group_size,
    )
    return Response(
        render_svg(chart),
        media_type=SVG_TYPE,
        headers={"Content-Disposition": f'inline; filename="{filename(IMPACT_REPORT, "svg")}"'},
    )
