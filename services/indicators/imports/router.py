"""REST endpoints of the indicators service: imports, templates and exports of values."""

from collections.abc import AsyncGenerator
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from services.indicators.imports.files import CONTENT_TYPES, ValueFile
from services.indicators.imports.parsing import FileFormat, detect_format
from services.indicators.imports.schemas import ImportMode, ImportReport
from services.indicators.imports.service import (
    import_service,
    template_service,
    value_export_service,
)
from services.indicators.replica.freshness import unless_replica_behind
from shared.db import SessionDep
from shared.identity import CurrentPrincipal
from shared.problems import InvalidInput, Problem, field_error

router = APIRouter(tags=["imports"])

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
FormatQuery = Annotated[Literal["csv", "xlsx"], Query(alias="format")]


class PayloadTooLarge(Problem):
    status = 413
    type_slug = "payload-too-large"
    title = "Payload too large"


def _too_large() -> PayloadTooLarge:
    return PayloadTooLarge(
        f"An import file may be at most {MAX_UPLOAD_BYTES // (1024 * 1024)} MB; "
        "split it (score import sends a file in chunks)",
        limit_bytes=MAX_UPLOAD_BYTES,
    )


async def _capped(request: Request) -> AsyncGenerator[bytes, None]:
    """The request body, refused as soon as it passes the limit (not after buffering it)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_UPLOAD_BYTES:
        raise _too_large()
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > MAX_UPLOAD_BYTES:
            raise _too_large()
        yield chunk


async def _uploaded_file(request: Request) -> tuple[bytes, str | None]:
    """The file's bytes and name: a multipart ``file`` field, or the raw request body."""
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        return b"".join([chunk async for chunk in _capped(request)]), None
    parser = MultiPartParser(
        request.headers, _capped(request), max_files=1, max_fields=10, max_part_size=64 * 1024
    )
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise InvalidInput(
            "The multipart body cannot be read",
            errors=[field_error("body", "multipart_format", exc.message)],
        ) from exc
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise InvalidInput(
                "The upload has no file",
                errors=[field_error("body.file", "missing", "send the file in a 'file' field")],
            )
        return await upload.read(), upload.filename
    finally:
        await form.close()


def _file_response(file: ValueFile) -> Response:
    return Response(file.content, media_type=file.media_type, headers=file.headers)


_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The file, as a multipart upload (field 'file') or as the raw body.",
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            },
            CONTENT_TYPES["csv"]: {"schema": {"type": "string"}},
            CONTENT_TYPES["xlsx"]: {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


@router.post(
    "/imports",
    summary="Import values from a CSV or XLSX file in the template layout",
    description=(
        "all_or_nothing (default): any error answers 422 with every error by row and "
        "column, and nothing is written. per_row: good rows are imported, the others "
        "reported. dry_run validates only. Rows without a value are skipped and listed."
    ),
    openapi_extra=_UPLOAD_BODY,
    responses={
        409: {
            "description": "Rows target slots validated (`locked`) or awaiting review "
            "(`under_review`); or (type `enrolment-not-yet-seen`, with `Retry-After`) they name "
            "enterprises or enrolments changed a moment ago that this service has not caught "
            "up with yet: send the same file again after `Retry-After` seconds"
        },
        413: {"description": "The file is larger than 20 MB"},
    },
)
async def import_values(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    file_format: Annotated[
        Literal["csv", "xlsx"] | None,
        Query(alias="format", description="Default: from the file name or its content"),
    ] = None,
    mode: ImportMode = "all_or_nothing",
    dry_run: bool = False,
    submit: Annotated[
        bool, Query(description="Submit the values for review (else they stay drafts)")
    ] = False,
) -> ImportReport:
    content, filename = await _uploaded_file(request)
    resolved: FileFormat = file_format or detect_format(content, filename=filename)
    try:
        return await import_service.run(
            session,
            content,
            file_format=resolved,
            mode=mode,
            dry_run=dry_run,
            submit=submit,
            principal=principal,
        )
    except InvalidInput as refused:
        # Rows naming an enterprise enrolled a moment ago: retry, as for a value batch.
        raise await unless_replica_behind(request, refused) from None


@router.get(
    "/imports/template",
    summary="A pre-filled import template for a round",
    description=(
        "A row for each value the round needs from each enterprise you enter values for "
        "(one per required sex / role part), the value left empty."
    ),
    response_class=Response,
    responses={
        200: {
            "content": {
                CONTENT_TYPES["csv"]: {"schema": {"type": "string"}},
                CONTENT_TYPES["xlsx"]: {"schema": {"type": "string", "format": "binary"}},
            }
        }
    },
)
async def import_template(
    session: SessionDep,
    principal: CurrentPrincipal,
    round_id: UUID,
    file_format: FormatQuery = "xlsx",
    enterprise_id: UUID | None = None,
) -> Response:
    file = await template_service.template(
        session,
        round_id=round_id,
        file_format=file_format,
        principal=principal,
        enterprise_id=enterprise_id,
    )
    return _file_response(file)


@router.get(
    "/exports/values",
    summary="Current values of an enterprise or a cohort, in the import template layout",
    response_class=Response,
    responses={
        200: {
            "content": {
                CONTENT_TYPES["csv"]: {"schema": {"type": "string"}},
                CONTENT_TYPES["xlsx"]: {"schema": {"type": "string", "format": "binary"}},
            }
        }
    },
)
async def export_values(
    session: SessionDep,
    principal: CurrentPrincipal,
    enterprise_id: UUID | None = None,
    cohort_id: UUID | None = None,
    round_id: UUID | None = None,
    file_format: FormatQuery = "xlsx",
) -> Response:
    file = await value_export_service.values(
        session,
        file_format=file_format,
        principal=principal,
        enterprise_id=enterprise_id,
        cohort_id=cohort_id,
        round_id=round_id,
    )
    return _file_response(file)
