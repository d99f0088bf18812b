"""What an import answers: counts and every error by spreadsheet row and template column."""

from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field

from services.indicators.imports.parsing import MAX_REPORTED_ERRORS, FileFormat

ImportMode = Literal["all_or_nothing", "per_row"]


class ImportRowError(BaseModel):
    field: str = Field(description="Where, as a path: file.rows.<row>.<column>")
    row: int | None = Field(description="Spreadsheet row number; the header is row 1")
    column: str | None = Field(description="Template column name")
    rule: str = Field(examples=["number_format", "month_format", "missing_column"])
    message: str
    value: Any = None


class ImportReport(BaseModel):
    batch_id: UUID | None = Field(description="The value batch; none when nothing was sent")
    format: FileFormat
    mode: ImportMode
    dry_run: bool
    submit: bool
    rows_read: int = Field(description="Non-blank rows below the header")
    accepted: int
    rejected: int = Field(description="Rows with at least one error")
    skipped: int = Field(description="Rows left without a value (unfilled template rows)")
    flagged_outliers: int
    skipped_rows: list[int]
    errors_total: int = Field(description="Every error found, listed or not")
    errors: list[ImportRowError] = Field(
        description=f"The first errors in row order, at most {MAX_REPORTED_ERRORS:,} "
        "(errors_total counts them all)"
    )
